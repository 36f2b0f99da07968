import {
  type AuditReport,
  type Check,
  type CoverageValue,
  type Finding,
  type Operation,
  CHECKS,
  operationLabel,
} from '../report-model.js';

interface Case {
  operation: Operation;
  check: Check;
  coverage: CoverageValue | undefined;
  findings: Finding[];
}

/**
 * JUnit XML: one test suite, one test case per operation × check in the coverage, so CI shows each
 * finding as a failed test and each inapplicable or skipped check as a skipped one.
 */
export function renderJunit(report: AuditReport): string {
  const cases = collectCases(report);
  const failures = cases.filter((c) => c.findings.length > 0).length;
  const skipped = cases.filter((c) => c.findings.length === 0 && c.coverage !== undefined && c.coverage !== 'tested').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="paceline audit" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(report.durationMs)}">`,
    `  <testsuite name="${attr(`paceline audit ${report.target}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(report.durationMs)}" timestamp="${attr(report.startedAt)}">`,
    '    <properties>',
    `      <property name="target" value="${attr(report.target)}"/>`,
    `      <property name="requests" value="${report.requests}"/>`,
    `      <property name="identities" value="${attr(report.identities.join(', '))}"/>`,
    '    </properties>',
    ...cases.map(testcase),
    '  </testsuite>',
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

/** Coverage gives the cases; a finding whose operation × check is missing from it still gets one. */
function collectCases(report: AuditReport): Case[] {
  const cases = new Map<string, Case>();
  for (const row of report.coverage) {
    for (const check of CHECKS) {
      const coverage = row.checks[check];
      if (coverage === undefined) continue;
      cases.set(key(row.operation, check), { operation: row.operation, check, coverage, findings: [] });
    }
  }
  for (const f of report.findings) {
    const k = key(f.operation, f.check);
    const existing = cases.get(k);
    if (existing) existing.findings.push(f);
    else cases.set(k, { operation: f.operation, check: f.check, coverage: undefined, findings: [f] });
  }
  return [...cases.values()];
}

function key(operation: Operation, check: Check): string {
  return `${operationLabel(operation)}\u0000${check}`;
}

function testcase(c: Case): string {
  const open = `    <testcase classname="${attr(operationLabel(c.operation))}" name="${attr(c.check)}">`;
  // JUnit allows one <failure> per test case, so several findings share it, listed in the body.
  if (c.findings.length > 0) {
    const first = c.findings[0];
    const message = c.findings.length === 1 && first ? first.title : `${c.findings.length} findings`;
    const body = c.findings
      .map((f) => `${f.id} [${f.severity}] ${f.owasp} ${f.title}\n${f.evidence}\n${f.curl}`)
      .join('\n\n');
    const type = first?.severity ?? 'finding';
    return `${open}\n      <failure message="${attr(message)}" type="${attr(type)}">${text(body)}</failure>\n    </testcase>`;
  }
  if (c.coverage !== undefined && c.coverage !== 'tested') {
    return `${open}\n      <skipped message="${attr(c.coverage)}"/>\n    </testcase>`;
  }
  return `${open}</testcase>`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * Characters XML 1.0 cannot carry at all (most control characters, lone surrogates, U+FFFE/FFFF)
 * become U+FFFD: report content comes from the audited API and must not break the document.
 */
function legal(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function text(value: string): string {
  return legal(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes and encode whitespace that parsers would normalise away. */
function attr(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
