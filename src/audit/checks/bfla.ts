import type { Identity } from '../identities.js';
import { objectsForParameter, referenceParameters } from '../references.js';
import { owaspFor } from '../report-model.js';
import { sampleRequestBody } from '../sample.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, type HarvestedObject, isAdmin, isSafeMethod, looksDestructive, methodBlocked, reportOperation, setCell, setCoverage } from './context.js';
import { servedData } from './evidence.js';
import { readBack, readBackFor, writeEffect } from './readback.js';
import { buildRequest } from './requests.js';

const adminOnlyText = /\b(admins? only|only (for )?admins?|administrators? only|only (for )?administrators?|requires? (an )?admin(istrator)?( role| rights| privileges)?|admin(istrator)? (role|rights|privileges) required)\b/i;
const adminWords = /(^|[/_.-])(admin|administration|internal|manage|management|staff|superuser|backoffice|ops)([/_.-]|$)/i;

/** Administrative by declaration (access extension, scopes) or by look (path, tags, operationId). */
export function looksAdministrative(op: Operation): boolean {
  const declared = op.extensions['x-paceline-access'] ?? op.extensions['x-access'];
  if (typeof declared === 'string') return declared.toLowerCase() === 'admin';
  // Other vendors' extensions: `x-roles: [admin]`, `x-required-role: admin`, `x-admin: true`...
  for (const [name, value] of Object.entries(op.extensions)) {
    if (!/role|permission|access|admin|privilege/i.test(name)) continue;
    if (value === true && /admin/i.test(name)) return true;
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    if (values.length > 0 && values.every((v) => /admin|superuser|staff|root/i.test(v))) return true;
  }
  // Prose that says so: "Deletes user by username (Only Admins)".
  if ([op.summary, op.description].some((text) => text !== undefined && adminOnlyText.test(text))) return true;
  const scopes = op.security.flatMap((r) => Object.values(r).flat());
  if (scopes.some((s) => /admin/i.test(s))) return true;
  return adminWords.test(op.path) || op.tags.some((t) => /admin/i.test(t)) || /^admin/i.test(op.operationId);
}

/**
 * API5: administrative operations called by every identity that is neither admin nor anonymous.
 * Reads leak when they serve data. Writes (with --allow-writes) leak when they serve data or when
 * the object they name changed, as an admin (or the owner) reads it back: a 204 that changed
 * nothing is a denial. `phase` splits reads, writes and, last, what looks destructive.
 */
export async function checkBfla(ctx: AuditContext, phase: 'read' | 'write' | 'delete'): Promise<void> {
  const selected = ctx.operations.filter((op) =>
    phase === 'read' ? isSafeMethod(op.method) : !isSafeMethod(op.method) && looksDestructive(op) === (phase === 'delete'),
  );
  // Reads run side by side; writes one at a time, so a read-back sees only the write it checks.
  if (phase === 'read') await Promise.all(selected.map((op) => probe(ctx, op)));
  else for (const op of selected) await probe(ctx, op);
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
    const outcome = isSafeMethod(op.method) ? await tryRead(ctx, op, caller, admin) : await tryWrite(ctx, op, caller, admin);
    if (outcome === undefined) complete = false;
  }
  // Only reads are repeated as the admin: an administrative write would really be carried out.
  if (admin && isSafeMethod(op.method)) {
    const response = await call(ctx, op, admin, buildRequest(ctx, op, {}, admin));
    if (response) setCell(ctx, op, admin, servedData(response) ? 'allowed' : 'denied');
  }
  setCoverage(ctx, op, 'bfla', complete ? 'tested' : 'skipped: request budget exhausted');
}

async function tryRead(ctx: AuditContext, op: Operation, caller: Identity, admin: string | undefined): Promise<boolean | undefined> {
  const request = buildRequest(ctx, op, {}, admin);
  const response = await call(ctx, op, caller.name, request);
  if (!response) return undefined;
  if (!servedData(response)) {
    setCell(ctx, op, caller.name, 'denied');
    return false;
  }
  report(ctx, op, caller, request, `${response.status} with ${response.bodyText.length} bytes of data for a non-admin identity`);
  return true;
}

async function tryWrite(ctx: AuditContext, op: Operation, caller: Identity, admin: string | undefined): Promise<boolean | undefined> {
  // The caller's own objects first: a flawed API then harms only the identity that exploited it.
  const params: Record<string, string> = {};
  let object: HarvestedObject | undefined;
  for (const parameter of referenceParameters(op)) {
    const candidates = objectsForParameter(ctx.harvest.objects, op, parameter);
    const chosen = candidates.find((o) => o.owner === caller.name) ?? candidates.find((o) => o.owner !== admin) ?? candidates[0];
    if (chosen) {
      params[parameter.name] = chosen.value;
      object ??= chosen;
    }
  }
  const readback = readBackFor(ctx, op, params, object);
  const reader = admin ?? object?.owner;
  const before = readback && reader ? await readBack(ctx, reader, readback) : undefined;
  const body = sampleRequestBody(op);
  const request = buildRequest(ctx, op, params, caller.name, body);
  const response = await call(ctx, op, caller.name, request);
  if (!response) return undefined;
  const after = before && readback && reader ? await readBack(ctx, reader, readback) : undefined;
  const effect = before && after ? writeEffect(before, after) : undefined;
  if (!effect && !servedData(response)) {
    setCell(ctx, op, caller.name, 'denied');
    return false;
  }
  report(ctx, op, caller, request, `${response.status}; ${effect ?? `${response.bodyText.length} bytes of data for a non-admin identity`}`);
  return true;
}

function report(ctx: AuditContext, op: Operation, caller: Identity, request: Parameters<AuditContext['client']['curlFor']>[1], evidence: string): void {
  setCell(ctx, op, caller.name, 'leaked');
  ctx.findings.push({
    check: 'bfla',
    owasp: owaspFor('bfla'),
    severity: 'high',
    operation: reportOperation(op),
    caller: caller.name,
    title: `${caller.name} (${caller.role}) uses administrative ${op.method} ${op.path}`,
    evidence,
    curl: ctx.client.curlFor(caller.name, request),
  });
}
