import { owaspFor } from '../report-model.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, isAdmin, methodBlocked, reportOperation, setCell, setCoverage } from './context.js';
import { servedData } from './evidence.js';
import { buildRequest } from './requests.js';

const adminWords = /(^|[/_.-])(admin|administration|internal|manage|management|staff|superuser|backoffice|ops)([/_.-]|$)/i;

/** Administrative by declaration (access extension, scopes) or by look (path, tags, operationId). */
export function looksAdministrative(op: Operation): boolean {
  const declared = op.extensions['x-paceline-access'] ?? op.extensions['x-access'];
  if (typeof declared === 'string') return declared.toLowerCase() === 'admin';
  const scopes = op.security.flatMap((r) => Object.values(r).flat());
  if (scopes.some((s) => /admin/i.test(s))) return true;
  return adminWords.test(op.path) || op.tags.some((t) => /admin/i.test(t)) || /^admin/i.test(op.operationId);
}

/** API5: administrative operations called by every identity that is neither admin nor anonymous. */
export async function checkBfla(ctx: AuditContext): Promise<void> {
  await Promise.all(ctx.operations.map((op) => probe(ctx, op)));
}

async function probe(ctx: AuditContext, op: Operation): Promise<void> {
  ctx.tick();
  if (!looksAdministrative(op)) return setCoverage(ctx, op, 'bfla', 'not applicable');
  const blocked = methodBlocked(ctx, op);
  if (blocked) return setCoverage(ctx, op, 'bfla', blocked);
  const callers = ctx.identities.identities.filter((i) => i.credential.kind !== 'none' && !isAdmin(i));
  if (callers.length === 0) return setCoverage(ctx, op, 'bfla', 'skipped: no non-admin identity');
  const admin = ctx.identities.identities.find(isAdmin)?.name;
  let complete = true;
  for (const caller of callers) {
    const request = buildRequest(ctx, op, {}, admin);
    const response = await call(ctx, op, caller.name, request);
    if (!response) {
      complete = false;
      continue;
    }
    if (!servedData(response)) {
      setCell(ctx, op, caller.name, 'denied');
      continue;
    }
    setCell(ctx, op, caller.name, 'leaked');
    ctx.findings.push({
      check: 'bfla',
      owasp: owaspFor('bfla'),
      severity: 'high',
      operation: reportOperation(op),
      caller: caller.name,
      title: `${caller.name} (${caller.role}) uses administrative ${op.method} ${op.path}`,
      evidence: `${response.status} with ${response.bodyText.length} bytes of data for a non-admin identity`,
      curl: ctx.client.curlFor(caller.name, request),
    });
  }
  if (admin) {
    const response = await call(ctx, op, admin, buildRequest(ctx, op, {}, admin));
    if (response) setCell(ctx, op, admin, servedData(response) ? 'allowed' : 'denied');
  }
  setCoverage(ctx, op, 'bfla', complete ? 'tested' : 'skipped: request budget exhausted');
}
