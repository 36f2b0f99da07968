import { objectsForParameter, referenceParameters } from '../references.js';
import { owaspFor } from '../report-model.js';
import { markerProperty, newMarker, sampleRequestBody } from '../sample.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, type HarvestedObject, isSafeMethod, methodBlocked, reportOperation, setCell, setCoverage } from './context.js';
import { servedData } from './evidence.js';
import { readBack, readBackFor, writeEffect } from './readback.js';
import { buildRequest } from './requests.js';

/**
 * API2: every operation the spec marks as secured, called with no credential and with a wrong
 * one. A data-bearing 2xx is only a finding when the legitimate call (as the object's owner, or
 * the first identity) also serves data: otherwise the placeholder request proves nothing. For
 * writes the legitimate call is only made after an anonymous call got through, so a sound API
 * never sees the auditor's own writes here.
 */
export async function checkNoAuth(ctx: AuditContext): Promise<void> {
  // Reads run side by side; writes one at a time, so a read-back sees only the write it checks.
  await Promise.all(ctx.operations.filter((op) => isSafeMethod(op.method)).map((op) => probe(ctx, op)));
  for (const op of ctx.operations.filter((o) => !isSafeMethod(o.method))) await probe(ctx, op);
}

async function probe(ctx: AuditContext, op: Operation): Promise<void> {
  ctx.tick();
  if (op.security.length === 0) return setCoverage(ctx, op, 'no-auth', 'not applicable');
  const blocked = methodBlocked(ctx, op);
  if (blocked) return setCoverage(ctx, op, 'no-auth', blocked);
  const target = targetFor(ctx, op);
  if (!target) return setCoverage(ctx, op, 'no-auth', 'skipped: no identity with credentials');
  const { owner, params, object } = target;
  const write = !isSafeMethod(op.method);
  const markerName = write ? markerProperty(op.requestBody?.schema) : undefined;
  const marker = markerName === undefined ? undefined : newMarker();
  const body = sampleRequestBody(op, markerName && marker ? { set: { [markerName]: marker } } : {});
  const request = buildRequest(ctx, op, params, owner, body);
  // A write is judged by its effect on the owner's object as well: a 204 may have changed it.
  const readback = write ? readBackFor(ctx, op, params, object) : undefined;
  const before = readback ? await readBack(ctx, owner, readback) : undefined;
  const anonymous = await call(ctx, op, 'anonymous', request);
  const invalid = await call(ctx, op, 'anonymous', request, { credential: 'invalid' });
  if (!anonymous || !invalid) return setCoverage(ctx, op, 'no-auth', 'skipped: request budget exhausted');
  const after = readback && before ? await readBack(ctx, owner, readback) : undefined;
  const effect = before?.served && after ? writeEffect(before, after, marker) : undefined;
  const open = [anonymous, invalid].filter((r) => servedData(r));
  const baseline = !write || open.length > 0 ? await call(ctx, op, owner, request) : undefined;
  setCoverage(ctx, op, 'no-auth', 'tested');
  const leaked = effect !== undefined || (open.length > 0 && baseline !== undefined && servedData(baseline));
  setCell(ctx, op, 'anonymous', leaked ? 'leaked' : open.length > 0 ? 'allowed' : 'denied');
  if (!leaked) return;
  const how = servedData(anonymous) || (effect && anonymous.status < 300) ? 'no credentials' : 'an invalid token';
  const evidence = effect ?? `${(servedData(anonymous) ? anonymous : invalid).status} with data for ${how}; ${owner} gets ${baseline?.status ?? '-'}`;
  ctx.findings.push({
    check: 'no-auth',
    owasp: owaspFor('no-auth'),
    severity: 'high',
    operation: reportOperation(op),
    ...(referenceParameters(op).length > 0 ? { owner } : {}),
    caller: 'anonymous',
    title: `${op.method} ${op.path} answers with ${how} although the spec requires authentication`,
    evidence,
    curl: ctx.client.curlFor('anonymous', request),
  });
}

/** The object the probe names (the first harvested one per reference) and its owner, else the first identity with credentials. */
function targetFor(ctx: AuditContext, op: Operation): { owner: string; params: Record<string, string>; object?: HarvestedObject } | undefined {
  const params: Record<string, string> = {};
  let object: HarvestedObject | undefined;
  for (const parameter of referenceParameters(op)) {
    const found = objectsForParameter(ctx.harvest.objects, op, parameter).find((o) => object === undefined || o.owner === object.owner);
    if (!found) continue;
    params[parameter.name] = found.value;
    object ??= found;
  }
  const owner = object?.owner ?? ctx.identities.identities.find((i) => i.credential.kind !== 'none')?.name;
  if (owner === undefined) return undefined;
  return object ? { owner, params, object } : { owner, params };
}
