import {
  type AuditReport,
  type MatrixCell,
  type Severity,
  SEVERITIES,
  operationLabel,
  sortFindings,
} from '../report-model.js';

export interface TableOptions {
  /** ANSI colour; off by default so piped and redirected output stays plain text. */
  color?: boolean;
}

const SEVERITY_COLOUR: Record<Severity, string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};

const CELL_TEXT: Record<MatrixCell, string> = {
  allowed: 'allow',
  denied: 'deny',
  leaked: 'LEAK',
  untested: '-',
};

const CELL_COLOUR: Record<MatrixCell, string> = {
  allowed: '\u001b[32m',
  denied: '\u001b[2m',
  leaked: '\u001b[1;31m',
  untested: '\u001b[2m',
};

const RESET = '\u001b[0m';

/**
 * The terminal report: a summary line, findings most severe first, then the authorization matrix.
 * Control characters from the audited API are stripped so a hostile response cannot drive the terminal.
 */
export function renderTable(report: AuditReport, options: TableOptions = {}): string {
  const paint = (code: string, text: string): string => (options.color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [summary(report), ''];

  const findings = sortFindings(report.findings);
  if (findings.length === 0) lines.push('No findings.', '');
  for (const f of findings) {
    const severity = paint(SEVERITY_COLOUR[f.severity], f.severity.toUpperCase().padEnd(8));
    lines.push(`${severity} ${clean(f.id)} ${f.check} (${clean(f.owasp)})  ${clean(operationLabel(f.operation))}`);
    const who = f.owner === undefined ? `caller ${clean(f.caller)}` : `caller ${clean(f.caller)}, owner ${clean(f.owner)}`;
    lines.push(`         ${who}`, `         ${clean(f.title)}`, `         ${clean(f.evidence)}`, '');
  }

  if (report.matrix.length > 0) lines.push(...matrix(report, paint));
  return `${lines.join('\n').trimEnd()}\n`;
}

function summary(report: AuditReport): string {
  const counts = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const found = report.findings.length === 1 ? '1 finding' : `${report.findings.length} findings`;
  const detail = counts.length > 0 ? ` (${counts.join(', ')})` : '';
  const seconds = (report.durationMs / 1000).toFixed(1);
  return `paceline audit ${clean(report.target)}: ${found}${detail}; ${report.requests} requests in ${seconds}s; identities ${report.identities.map(clean).join(', ')}`;
}

function matrix(report: AuditReport, paint: (code: string, text: string) => string): string[] {
  const labels = report.matrix.map((row) => clean(operationLabel(row.operation)));
  const first = Math.max('operation'.length, ...labels.map((l) => l.length));
  const names = report.identities.map(clean);
  // Each column fits both its identity name and the widest cell text.
  const widths = names.map((n) => Math.max(n.length, 5));
  const header = ['operation'.padEnd(first), ...names.map((n, i) => n.padEnd(widths[i] ?? 5))].join('  ');
  const rows = report.matrix.map((row, r) => {
    const cells = report.identities.map((id, i) => {
      const cell = row.cells[id] ?? 'untested';
      return paint(CELL_COLOUR[cell], CELL_TEXT[cell].padEnd(widths[i] ?? 5));
    });
    return [(labels[r] ?? '').padEnd(first), ...cells].join('  ').trimEnd();
  });
  return ['Authorization matrix (allow / deny / LEAK / - untested):', header.trimEnd(), ...rows];
}

/** Removes C0/C1 control characters (ESC included) from untrusted text. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}
