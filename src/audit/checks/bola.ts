import { objectLabel, objectsForParameter, referenceParameters } from '../references.js';
import type { AuditResponse } from '../http-client.js';
import { owaspFor, redactSecret } from '../report-model.js';
import { looksAdministrative } from './bfla.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, type HarvestedObject, isAdmin, isSafeMethod, reportOperation, reported, setCell, setCoverage } from './context.js';
import { leaves, looksSensitive, servedData } from './evidence.js';
import { buildRequest } from './requests.js';

/** Objects probed per owner and reference kind: enough to show a pattern, bounded for the budget. */
const objectsPerOwner = 2;

/**
 * API1 for reads: for each object harvested from owner A, the same read as every other non-admin
 * identity B. The owner's own answer is the baseline: B leaks when it gets A's canaries or a
 * sensitive-looking field with A's own value (public-by-design fields excluded). 403/404 or an
 * empty or error body is a denial. Writes are probed by bola-writes.ts.
 */
export async function checkBola(ctx: AuditContext): Promise<void> {
  await Promise.all(ctx.operations.filter((op) => isSafeMethod(op.method)).map((op) => probe(ctx, op)));
}

async function probe(ctx: AuditContext, op: Operation): Promise<void> {
  ctx.tick();
  const references = referenceParameters(op);
  if (references.length === 0 || looksAdministrative(op)) return setCoverage(ctx, op, 'bola', 'not applicable');
  // Specs are often incomplete: an operation without declared security is probed all the same.
  const openToAll = op.security.length === 0 ? await readAnonymously(ctx, op) : new Set<string>();
  const targets = references.flatMap((parameter) => objectsFor(ctx, op, parameter.name));
  if (targets.length === 0) return setCoverage(ctx, op, 'bola', `skipped: no harvested object for ${references.map((p) => p.name).join(', ')}`);
  const callers = ctx.identities.identities.filter((i) => i.credential.kind !== 'none' && !isAdmin(i));
  if (!targets.some(({ object }) => callers.some((c) => c.name !== object.owner))) {
    return setCoverage(ctx, op, 'bola', 'skipped: no other non-admin identity to try the objects with');
  }
  let tested = false;
  for (const { parameter, object } of targets) {
    const request = buildRequest(ctx, op, { [parameter]: object.value }, object.owner);
    const baseline = await call(ctx, op, object.owner, request);
    if (!servedData(baseline) || !baseline) continue;
    for (const caller of callers.filter((c) => c.name !== object.owner)) {
      const response = await call(ctx, op, caller.name, request);
      if (!response) continue;
      tested = true;
      const evidence = leakEvidence(ctx, object, baseline, response);
      setCell(ctx, op, caller.name, evidence ? 'leaked' : privateData(ctx, response) ? 'allowed' : 'denied');
      // An object anyone may read (the spec says so, and anonymous got it) is public by design: what
      // is wrong is the private fields it carries, which is data exposure rather than BOLA.
      const check = openToAll.has(object.value) ? 'data-exposure' : 'bola';
      // One finding per operation, owner and caller: more objects would only repeat it.
      if (!evidence || reported(ctx, check, op, object.owner, caller.name)) continue;
      ctx.findings.push({
        check,
        owasp: owaspFor(check),
        severity: 'high',
        operation: reportOperation(op),
        owner: object.owner,
        caller: caller.name,
        title:
          check === 'bola'
            ? `${caller.name} reads ${object.owner}'s ${objectLabel(object.kind, parameter)} through ${op.method} ${op.path}`
            : `${op.method} ${op.path} shows ${object.owner}'s private data to ${caller.name} and to anyone`,
        evidence: `${response.status}; ${evidence}`,
        curl: ctx.client.curlFor(caller.name, request),
      });
    }
  }
  setCoverage(ctx, op, 'bola', tested ? 'tested' : ctx.exhausted ? 'skipped: request budget exhausted' : "skipped: the owners' own reads returned no data to compare");
}

/**
 * A read the spec leaves open to everyone may still hand out private data (the 2021 Peloton API
 * did): each owner's objects are also read anonymously, and the exposure check scans the answers.
 * Returns the values anonymous could read.
 */
async function readAnonymously(ctx: AuditContext, op: Operation): Promise<Set<string>> {
  const open = new Set<string>();
  for (const parameter of referenceParameters(op)) {
    for (const { object } of objectsFor(ctx, op, parameter.name)) {
      const response = await call(ctx, op, 'anonymous', buildRequest(ctx, op, { [parameter.name]: object.value }, object.owner));
      if (response) setCell(ctx, op, 'anonymous', servedData(response) ? 'allowed' : 'denied');
      if (servedData(response)) open.add(object.value);
    }
  }
  return open;
}

function objectsFor(ctx: AuditContext, op: Operation, name: string): { parameter: string; object: HarvestedObject }[] {
  const parameter = op.parameters.find((p) => p.name === name);
  const perOwner = new Map<string, number>();
  const chosen: { parameter: string; object: HarvestedObject }[] = [];
  const candidates = parameter ? objectsForParameter(ctx.harvest.objects, op, parameter) : [];
  // Reads aim at the identities' own data first: what the auditor created holds none of it.
  const ordered = [...candidates.filter((o) => !o.created), ...candidates.filter((o) => o.created)];
  for (const object of ordered) {
    const count = perOwner.get(object.owner) ?? 0;
    if (count >= objectsPerOwner) continue;
    perOwner.set(object.owner, count + 1);
    chosen.push({ parameter: name, object });
  }
  return chosen;
}

/** Data beyond the public-by-design fields: a public card of a private profile is a denial of the rest. */
function privateData(ctx: AuditContext, response: AuditResponse): boolean {
  const publicFields = new Set(ctx.identities.publicFields);
  return servedData(response) && leaves(response.json).some((l) => !publicFields.has(l.key));
}

/** Why `response` counts as the owner's data, or undefined when it does not. */
export function leakEvidence(ctx: AuditContext, object: HarvestedObject, baseline: AuditResponse, response: AuditResponse, objectCanaries = false): string | undefined {
  if (!servedData(response)) return undefined;
  const owner = object.owner;
  // What the auditor wrote into an object it created may be shared by design (a followers-only
  // workout, seen by a follower), so it only counts where a body merely names the object.
  const canaries = [...(ctx.identities.identities.find((i) => i.name === owner)?.canaries ?? []), ...(objectCanaries ? (object.canaries ?? []) : [])];
  const canary = canaries.find((c) => response.bodyText.includes(c));
  const publicFields = new Set(ctx.identities.publicFields);
  const own = leaves(baseline.json).filter((l) => !publicFields.has(l.key) && l.value !== '');
  const theirs = new Set(leaves(response.json).map((l) => `${l.path}\u0000${l.value}`));
  const sharedLeaves = own.filter((l) => theirs.has(`${l.path}\u0000${l.value}`));
  // Sharing is what social APIs are for: a public profile's bio reaching another member is by
  // design. Only a canary, or a sensitive-looking field with the owner's own value, is a leak.
  const sensitive = [...new Set(sharedLeaves.filter((l) => looksSensitive(l.key)).map((l) => l.key))];
  if (!canary && sensitive.length === 0) return undefined;
  const parts = [];
  if (canary) parts.push(`body contains ${owner}'s canary ${redactSecret(canary)}`);
  if (sensitive.length > 0) parts.push(`the owner's ${sensitive.join(', ')}`);
  parts.push(`${sharedLeaves.length}/${own.length} of the owner's fields`);
  return parts.join(' and ');
}
