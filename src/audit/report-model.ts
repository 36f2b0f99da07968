/**
 * The audit report as fixed by the interface contract (AUDIT.md, "JSON report"). Every output
 * format renders this one model, so the formats can never disagree about what was found.
 */

export const CHECKS = [
  'no-auth',
  'bola',
  'bfla',
  'data-exposure',
  'mass-assignment',
  'login-throttling',
] as const;
export type Check = (typeof CHECKS)[number];

/** Most severe first: the order reports list findings in. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Operation {
  method: string;
  path: string;
  operationId?: string;
}

export interface Finding {
  id: string;
  check: Check;
  owasp: string;
  severity: Severity;
  operation: Operation;
  /** The identity whose data was reached; absent for checks without an owner (e.g. no-auth). */
  owner?: string;
  caller: string;
  title: string;
  evidence: string;
  curl: string;
}

export type CoverageValue = 'tested' | 'not applicable' | `skipped: ${string}`;

export interface CoverageRow {
  operation: Operation;
  /** Partial: a check that does not concern an operation at all may be left out. */
  checks: Partial<Record<Check, CoverageValue>>;
}

export const MATRIX_CELLS = ['allowed', 'denied', 'leaked', 'untested'] as const;
export type MatrixCell = (typeof MATRIX_CELLS)[number];

export interface MatrixRow {
  operation: Operation;
  /** Keyed by identity name, including `anonymous`. */
  cells: Record<string, MatrixCell>;
}

export interface AuditReport {
  version: 1;
  target: string;
  startedAt: string;
  durationMs: number;
  requests: number;
  identities: string[];
  findings: Finding[];
  coverage: CoverageRow[];
  matrix: MatrixRow[];
}

/** OWASP API Security Top 10 (2023) category per check, worded exactly as AUDIT.md gives it. */
const OWASP_BY_CHECK: Record<Check, string> = {
  'no-auth': 'API2:2023',
  bola: 'API1:2023',
  bfla: 'API5:2023',
  'data-exposure': 'API3:2023',
  'mass-assignment': 'API3:2023',
  'login-throttling': 'API2:2023 / API4:2023',
};

export function owaspFor(check: Check): string {
  return OWASP_BY_CHECK[check];
}

/** Human names and OWASP pages per check, for reports that describe their rules (SARIF, HTML). */
export const CHECK_INFO: Record<Check, { name: string; description: string; helpUri: string }> = {
  'no-auth': {
    name: 'MissingAuthentication',
    description: 'An operation answers without credentials although it should require them.',
    helpUri: 'https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/',
  },
  bola: {
    name: 'BrokenObjectLevelAuthorization',
    description: "One identity reads or changes another identity's object.",
    helpUri: 'https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/',
  },
  bfla: {
    name: 'BrokenFunctionLevelAuthorization',
    description: 'A non-admin identity can use an administrative operation.',
    helpUri: 'https://owasp.org/API-Security/editions/2023/en/0xa5-broken-function-level-authorization/',
  },
  'data-exposure': {
    name: 'ExcessiveDataExposure',
    description: 'A response carries private properties the caller may not see.',
    helpUri: 'https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/',
  },
  'mass-assignment': {
    name: 'MassAssignment',
    description: 'A request can set properties the caller may not change.',
    helpUri: 'https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/',
  },
  'login-throttling': {
    name: 'MissingLoginThrottling',
    description: 'The login operation accepts unlimited password guesses.',
    helpUri: 'https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/',
  },
};

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Findings most severe first; ties keep their original order (Array.prototype.sort is stable). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
}

/** `GET /users/{userId}`: how every format names an operation. */
export function operationLabel(operation: Operation): string {
  return `${operation.method.toUpperCase()} ${operation.path}`;
}

/**
 * Shows a secret only as a short prefix and an ellipsis, enough to recognise it, never enough to
 * use it. Short values keep at most half their characters so a 4-character secret is not shown whole.
 */
export function redactSecret(value: string, keep = 4): string {
  const shown = Math.min(keep, Math.floor(value.length / 2));
  return `${value.slice(0, shown)}…`;
}
