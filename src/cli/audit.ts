import { writeFile } from 'node:fs/promises';
import { AuditInputError } from '../audit/audit-error.js';
import { loadIdentities } from '../audit/identities.js';
import { REPORT_FORMATS, type ReportFormat, renderReport } from '../audit/reports/index.js';
import type { AuditReport } from '../audit/report-model.js';
import { runAudit } from '../audit/run-audit.js';
import { loadSpec } from '../audit/spec.js';

export interface AuditArgs {
  spec?: string;
  target?: string;
  identities?: string;
  format?: string;
  out?: string;
  'allow-writes'?: boolean;
  'allow-destructive'?: boolean;
  concurrency?: string;
  rate?: string;
  'max-requests'?: string;
  include?: string[];
  exclude?: string[];
}

/** Where the command writes; injectable so tests can call it without spawning a process. */
export interface AuditIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/**
 * `paceline audit`. Returns the contract's exit status: 0 nothing found, 1 findings, 2 usage,
 * spec, identity or target error (with a one-line reason on standard error).
 */
export async function auditCommand(args: AuditArgs, io: AuditIo): Promise<number> {
  try {
    const format = (args.format ?? 'table') as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) throw new AuditInputError(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
    for (const name of ['spec', 'target', 'identities'] as const) {
      if (!args[name]) throw new AuditInputError(`--${name} is required`);
    }
    const numbers = {
      concurrency: count('concurrency', args.concurrency, 1),
      rate: rate(args.rate),
      maxRequests: count('max-requests', args['max-requests'], 0),
    };
    const loadOptions = io.fetch ? { fetch: io.fetch } : {};
    const spec = await loadSpec(args.spec as string, loadOptions);
    const identities = await loadIdentities(args.identities as string, io.env ?? process.env);
    const bar = io.stderr.isTTY ? progressBar(io.stderr) : undefined;
    const report = await runAudit({
      spec,
      target: args.target as string,
      identities,
      allowWrites: args['allow-writes'] ?? false,
      allowDestructive: args['allow-destructive'] ?? false,
      ...(numbers.concurrency !== undefined ? { concurrency: numbers.concurrency } : {}),
      ...(numbers.rate !== undefined ? { rate: numbers.rate } : {}),
      ...(numbers.maxRequests !== undefined ? { maxRequests: numbers.maxRequests } : {}),
      include: args.include ?? [],
      exclude: args.exclude ?? [],
      ...(bar ? { onProgress: bar } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    });
    if (bar) io.stderr.write('\r\u001b[2K');
    // Colour only for a table on a terminal; files and pipes get plain text.
    const text = renderReport(report, format, { color: format === 'table' && !args.out && io.stderr.isTTY === true });
    if (args.out) await writeOut(args.out, text);
    else io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    const cut = budgetCuts(report);
    // The coverage says it per check; a run cut short is also said once, where a person looks.
    if (cut > 0) io.stderr.write(`paceline audit: the request budget of ${numbers.maxRequests ?? '?'} ran out; ${cut} checks were skipped (see the coverage)\n`);
    return report.findings.length > 0 ? 1 : 0;
  } catch (error) {
    // Exit 1 means findings: a failure of the auditor itself must not look like one, nor pass as 0.
    const message = error instanceof AuditInputError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    io.stderr.write(`paceline audit: ${message.split('\n')[0] ?? message}\n`);
    return 2;
  }
}

function budgetCuts(report: AuditReport): number {
  return report.coverage.flatMap((row) => Object.values(row.checks)).filter((value) => value === 'skipped: request budget exhausted').length;
}

function count(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new AuditInputError(`--${name} must be a whole number of at least ${min}`);
  return Number(raw);
}

function rate(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new AuditInputError('--rate must be a positive number of requests per second');
  return value;
}

async function writeOut(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new AuditInputError(`--out ${file}: ${(error as NodeJS.ErrnoException).code ?? 'cannot write'}`, { cause: error });
  }
}

/** A one-line bar redrawn in place; only used when standard error is a terminal. */
function progressBar(stream: { write(text: string): unknown }): (done: number, total: number) => void {
  const width = 30;
  return (done, total) => {
    const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
  };
}
