import {
  type AuditReport,
  type Check,
  type Finding,
  type MatrixCell,
  CHECKS,
  CHECK_INFO,
  MATRIX_CELLS,
  SEVERITIES,
  operationLabel,
  sortFindings,
} from '../report-model.js';

/**
 * One self-contained HTML file whose centrepiece is the authorization matrix. Everything is inline;
 * the Content-Security-Policy forbids scripts and remote loads outright, a second line of defence
 * behind escaping, since every value in the report comes from the audited (untrusted) API.
 */
export function renderHtml(report: AuditReport): string {
  const title = `paceline audit — ${report.target}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${header(report)}
${matrix(report)}
${findings(report.findings)}
${coverage(report)}
</body>
</html>
`;
}

const CELL_MARK: Record<MatrixCell, string> = {
  allowed: '✓ allowed',
  denied: '✗ denied',
  leaked: '⚠ leaked',
  untested: '· untested',
};

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#555;margin:0}.meta span{margin-right:1.5rem}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #c9ced6;padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{background:#f2f4f7}
th[scope=row]{font-family:ui-monospace,monospace;font-weight:normal;white-space:nowrap}
.cell{text-align:center;font-weight:600;white-space:nowrap}
.allowed{background:#d7f5dd;color:#0f5223}.denied{background:#eceff3;color:#3d4652}
.leaked{background:#c62828;color:#fff}.untested{background:#fff;color:#8a939e;font-weight:normal}
.legend span{display:inline-block;padding:.15rem .6rem;margin-right:.5rem;border:1px solid #c9ced6}
.sev{display:inline-block;padding:0 .5rem;border-radius:3px;font-size:.8rem;text-transform:uppercase;color:#fff}
.sev-critical{background:#7b1010}.sev-high{background:#c62828}.sev-medium{background:#b26a00}
.sev-low{background:#2b6cb0}.sev-info{background:#6b7280}
.finding{border:1px solid #c9ced6;border-left:4px solid #c62828;padding:.5rem 1rem;margin:.75rem 0}
.finding h3{font-size:1rem;margin:.25rem 0}
pre{background:#f6f8fa;padding:.5rem;white-space:pre-wrap;word-break:break-all;margin:.25rem 0}
code{font-family:ui-monospace,monospace}
`;

function header(report: AuditReport): string {
  const counts = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return `<header>
<h1>paceline audit: <code>${esc(report.target)}</code></h1>
<p class="meta"><span>Started ${esc(report.startedAt)}</span><span>Duration ${(report.durationMs / 1000).toFixed(1)} s</span><span>${report.requests} requests</span><span>Identities: ${report.identities.map(esc).join(', ')}</span></p>
<p class="meta"><strong>${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}</strong>${counts ? ` (${esc(counts)})` : ''}</p>
</header>`;
}

function matrix(report: AuditReport): string {
  const legend = MATRIX_CELLS.map((c) => `<span class="${c}">${CELL_MARK[c]}</span>`).join('');
  const head = report.identities.map((id) => `<th scope="col">${esc(id)}</th>`).join('');
  const rows = report.matrix.map((row) => {
    const cells = report.identities.map((id) => {
      const cell = known(row.cells[id]);
      return `<td class="cell ${cell}" title="${esc(`${id}: ${cell}`)}">${CELL_MARK[cell]}</td>`;
    });
    return `<tr><th scope="row">${esc(operationLabel(row.operation))}</th>${cells.join('')}</tr>`;
  });
  return `<section id="matrix">
<h2>Authorization matrix</h2>
<p class="legend">${legend}</p>
<table class="matrix">
<caption>Operations × identities: what each identity could do</caption>
<thead><tr><th scope="col">Operation</th>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function findings(list: readonly Finding[]): string {
  const items = sortFindings(list).map((f) => {
    const who = f.owner === undefined ? esc(f.caller) : `${esc(f.caller)} → owner ${esc(f.owner)}`;
    return `<article class="finding" id="${esc(`finding-${f.id}`)}">
<p><span class="sev sev-${esc(f.severity)}">${esc(f.severity)}</span> <strong>${esc(f.id)}</strong> · <a href="${esc(CHECK_INFO[f.check].helpUri)}">${esc(f.check)} (${esc(f.owasp)})</a> · <code>${esc(operationLabel(f.operation))}</code>${f.operation.operationId ? ` <code>${esc(f.operation.operationId)}</code>` : ''}</p>
<h3>${esc(f.title)}</h3>
<p>Caller: ${who}</p>
<pre>${esc(f.evidence)}</pre>
<pre><code>${esc(f.curl)}</code></pre>
</article>`;
  });
  return `<section id="findings">
<h2>Findings</h2>
${items.length > 0 ? items.join('\n') : '<p>No findings.</p>'}
</section>`;
}

function coverage(report: AuditReport): string {
  // Only the checks some operation mentions, so the table is not padded with empty columns.
  const checks: Check[] = CHECKS.filter((c) => report.coverage.some((row) => row.checks[c] !== undefined));
  const head = checks.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const rows = report.coverage.map((row) => {
    const cells = checks.map((c) => `<td>${esc(row.checks[c] ?? '')}</td>`).join('');
    return `<tr><th scope="row">${esc(operationLabel(row.operation))}</th>${cells}</tr>`;
  });
  return `<section id="coverage">
<h2>Coverage</h2>
<table class="coverage">
<thead><tr><th scope="col">Operation</th>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

/** A report read back from JSON may hold any string; unknown cells render as untested. */
function known(cell: string | undefined): MatrixCell {
  return (MATRIX_CELLS as readonly string[]).includes(cell ?? '') ? (cell as MatrixCell) : 'untested';
}

/** HTML-escapes text and attribute values alike. */
function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
