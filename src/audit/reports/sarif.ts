import {
  type AuditReport,
  type Check,
  type Finding,
  type Severity,
  CHECKS,
  CHECK_INFO,
  operationLabel,
  severityRank,
} from '../report-model.js';

export interface SarifOptions {
  /**
   * The spec file the audit read, as a URI relative to the repository root. Code-scanning
   * dashboards (GitHub's among them) show only results with a physical location, so when it is
   * given every result also points at it; the logical location always names the operation.
   */
  artifactUri?: string;
}

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's `security-severity` scale (0–10) drives its critical/high/medium/low badges. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** SARIF 2.1.0: one run, one rule per check used, one result per finding. */
export function renderSarif(report: AuditReport, options: SarifOptions = {}): string {
  const used = CHECKS.filter((check) => report.findings.some((f) => f.check === check));
  const log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'paceline audit',
            informationUri: 'https://owasp.org/API-Security/editions/2023/en/0x11-t10/',
            rules: used.map((check) => rule(check, report.findings)),
          },
        },
        invocations: [{ executionSuccessful: true, startTimeUtc: report.startedAt }],
        properties: { target: report.target, requests: report.requests, durationMs: report.durationMs },
        results: report.findings.map((f) => result(f, used.indexOf(f.check), options)),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function rule(check: Check, findings: readonly Finding[]) {
  const info = CHECK_INFO[check];
  // A rule's severity is that of its worst finding, so dashboards rank the rule accordingly.
  const worst = findings.filter((f) => f.check === check).map((f) => f.severity).sort(bySeverity)[0] ?? 'info';
  return {
    id: check,
    name: info.name,
    shortDescription: { text: info.description },
    helpUri: info.helpUri,
    defaultConfiguration: { level: LEVEL[worst] },
    properties: { tags: ['security'], 'security-severity': SECURITY_SEVERITY[worst] },
  };
}

function result(f: Finding, ruleIndex: number, options: SarifOptions) {
  const label = operationLabel(f.operation);
  const location = {
    ...(options.artifactUri === undefined
      ? {}
      : { physicalLocation: { artifactLocation: { uri: options.artifactUri }, region: { startLine: 1 } } }),
    logicalLocations: [
      { name: label, fullyQualifiedName: f.operation.operationId ?? label, kind: 'function' },
    ],
  };
  return {
    ruleId: f.check,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.title}. ${f.evidence}` },
    locations: [location],
    // Lets dashboards track a finding across runs although it has no line of source code.
    partialFingerprints: { operationCheckCaller: `${label}|${f.check}|${f.caller}|${f.owner ?? ''}` },
    properties: {
      findingId: f.id,
      owasp: f.owasp,
      severity: f.severity,
      caller: f.caller,
      ...(f.owner === undefined ? {} : { owner: f.owner }),
      curl: f.curl,
    },
  };
}

function bySeverity(a: Severity, b: Severity): number {
  return severityRank(a) - severityRank(b);
}
