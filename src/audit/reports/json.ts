import type { AuditReport, CoverageRow, Finding, MatrixRow, Operation } from '../report-model.js';

/**
 * The JSON report. Objects are rebuilt key by key so the output has exactly the contract's keys in
 * the contract's order, even if the in-memory report carries extra working fields.
 */
export function renderJson(report: AuditReport): string {
  const out: AuditReport = {
    version: 1,
    target: report.target,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    requests: report.requests,
    identities: [...report.identities],
    findings: report.findings.map(finding),
    coverage: report.coverage.map(coverageRow),
    matrix: report.matrix.map(matrixRow),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function operation(op: Operation): Operation {
  return op.operationId === undefined
    ? { method: op.method, path: op.path }
    : { method: op.method, path: op.path, operationId: op.operationId };
}

function finding(f: Finding): Finding {
  return {
    id: f.id,
    check: f.check,
    owasp: f.owasp,
    severity: f.severity,
    operation: operation(f.operation),
    // `owner` is omitted rather than null when a check has no owner.
    ...(f.owner === undefined ? {} : { owner: f.owner }),
    caller: f.caller,
    title: f.title,
    evidence: f.evidence,
    curl: f.curl,
  };
}

function coverageRow(row: CoverageRow): CoverageRow {
  return { operation: operation(row.operation), checks: { ...row.checks } };
}

function matrixRow(row: MatrixRow): MatrixRow {
  return { operation: operation(row.operation), cells: { ...row.cells } };
}
