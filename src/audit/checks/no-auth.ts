import { parameterKind, referenceParameters } from '../harvest.js';
import { owaspFor } from '../report-model.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, methodBlocked, reportOperation, setCell, setCoverage } from './context.js';
import { servedData } from './evidence.js';
import { buildRequest, pick } from './requests.js';

/**
 * API2: every operation the spec marks as secured, called with no credential and with a wrong
 * one. A data-bearing 2xx is only a finding when the legitimate call (as the object's owner, or
 * the first identity) also serves data: otherwise the placeholder request proves nothing.
 */
export async function checkNoAuth(ctx: AuditContext): Promise<void> {
  await Promise.all(ctx.operations.map((op) => probe(ctx, op)));
}

async function probe(ctx: AuditContext, op: Operation): Promise<void> {
  ctx.tick();
  if (op.security.length === 0) return setCoverage(ctx, op, 'no-auth', 'not applicable');
  const blocked = methodBlocked(ctx, op);
  if (blocked) return setCoverage(ctx, op, 'no-auth', blocked);
  const owner = ownerFor(ctx, op);
  if (!owner) return setCoverage(ctx, op, 'no-auth', 'skipped: no identity with credentials');
  const request = buildRequest(ctx, op, {}, owner);
  const baseline = await call(ctx, op, owner, request);
  const anonymous = await call(ctx, op, 'anonymous', request);
  const invalid = await call(ctx, op, 'anonymous', request, { credential: 'invalid' });
  if (!baseline || !anonymous || !invalid) return setCoverage(ctx, op, 'no-auth', 'skipped: request budget exhausted');
  setCoverage(ctx, op, 'no-auth', 'tested');
  const open = [anonymous, invalid].filter((r) => servedData(r));
  setCell(ctx, op, 'anonymous', open.length > 0 ? 'allowed' : 'denied');
  if (open.length === 0 || !servedData(baseline)) return;
  setCell(ctx, op, 'anonymous', 'leaked');
  const how = servedData(anonymous) ? 'no credentials' : 'an invalid token';
  ctx.findings.push({
    check: 'no-auth',
    owasp: owaspFor('no-auth'),
    severity: 'high',
    operation: reportOperation(op),
    ...(owner !== undefined && referenceParameters(op).length > 0 ? { owner } : {}),
    caller: 'anonymous',
    title: `${op.method} ${op.path} answers with ${how} although the spec requires authentication`,
    evidence: `${(servedData(anonymous) ? anonymous : invalid).status} with data for ${how}; ${owner} gets ${baseline.status}`,
    curl: ctx.client.curlFor('anonymous', request),
  });
}

/** The owner of the first harvested object the operation refers to, else the first identity with credentials. */
function ownerFor(ctx: AuditContext, op: Operation): string | undefined {
  for (const parameter of referenceParameters(op)) {
    const kind = parameterKind(op, parameter);
    const found = kind === undefined ? undefined : pick(ctx.harvest.objects, kind);
    if (found) return found.owner;
  }
  return ctx.identities.identities.find((i) => i.credential.kind !== 'none')?.name;
}
