import type { AuditRequest } from '../http-client.js';
import type { Identity } from '../identities.js';
import { objectLabel, objectsForParameter, referenceKind, referenceListKind, referenceParameters } from '../references.js';
import { type CoverageValue, owaspFor } from '../report-model.js';
import { markerProperty, newMarker, propertiesOf, sampleRequestBody } from '../sample.js';
import type { Operation } from '../spec.js';
import { looksAdministrative } from './bfla.js';
import { leakEvidence } from './bola.js';
import { type AuditContext, call, type HarvestedObject, isAdmin, isLogin, isRegistration, isSafeMethod, looksDestructive, methodBlocked, reportOperation, reported, setCell, setCoverage } from './context.js';
import { readBack, readBackFor, writeEffect } from './readback.js';
import { buildRequest } from './requests.js';

/** Objects written per owner and reference: one shows the pattern, and writes are not free. */
const objectsPerOwner = 1;

/** One way a write can name another identity's object: a path or query parameter, or a body property. */
interface Reference {
  name: string;
  where: 'parameter' | 'body' | 'body-list';
  targets: HarvestedObject[];
}

/**
 * API1 for writes (with --allow-writes): identity B sends the write against owner A's object,
 * named in the path, the query, a body property or a list of ids in the body; then A reads the
 * object back. A leak is B's marker in A's object, A's object gone, A's object changed, or A's
 * private data in B's answer. The status code alone decides nothing. `phase` "change" runs the
 * non-destructive writes; "delete" runs, last, what looks destructive (with --allow-destructive).
 */
export async function checkBolaWrites(ctx: AuditContext, phase: 'change' | 'delete'): Promise<void> {
  const writes = ctx.operations.filter((op) => !isSafeMethod(op.method) && looksDestructive(op) === (phase === 'delete'));
  // One operation at a time: a read-back must see only the write it checks, not another probe's.
  for (const op of writes) await probe(ctx, op);
}

async function probe(ctx: AuditContext, op: Operation): Promise<void> {
  ctx.tick();
  // A sign-up names no one's object (the usernames in its body are new ones), and a login is
  // never replayed with made-up passwords.
  if (looksAdministrative(op) || isRegistration(op) || isLogin(ctx, op)) return setCoverage(ctx, op, 'bola', 'not applicable');
  const references = referencesOf(ctx, op);
  if (references.length === 0) return setCoverage(ctx, op, 'bola', 'not applicable');
  const blocked = methodBlocked(ctx, op);
  if (blocked) return setCoverage(ctx, op, 'bola', blocked);
  if (references.every((r) => r.targets.length === 0)) {
    return setCoverage(ctx, op, 'bola', `skipped: no harvested object for ${references.map((r) => r.name).join(', ')}`);
  }
  const callers = ctx.identities.identities.filter((i) => i.credential.kind !== 'none' && !isAdmin(i));
  if (!references.some((r) => r.targets.some((o) => callers.some((c) => c.name !== o.owner)))) {
    return setCoverage(ctx, op, 'bola', 'skipped: no other non-admin identity to try the objects with');
  }
  let tested = false;
  let reason: CoverageValue = 'skipped: no read shows the objects, so the writes cannot be verified';
  for (const reference of references) {
    for (const object of reference.targets) {
      for (const caller of callers.filter((c) => c.name !== object.owner)) {
        const outcome = await attempt(ctx, op, reference, object, caller);
        if (outcome === 'unverifiable') continue;
        if (outcome === 'owner-cannot-read') {
          reason = "skipped: the owners' own reads returned no data to compare";
          continue;
        }
        tested = true;
        // A deleted object cannot be deleted again: the next caller would prove nothing.
        if (outcome === 'leaked' && looksDestructive(op)) break;
      }
    }
  }
  setCoverage(ctx, op, 'bola', tested ? 'tested' : ctx.exhausted ? 'skipped: request budget exhausted' : reason);
}

type Outcome = 'leaked' | 'denied' | 'unverifiable' | 'owner-cannot-read';

async function attempt(ctx: AuditContext, op: Operation, reference: Reference, object: HarvestedObject, caller: Identity): Promise<Outcome> {
  const params = reference.where === 'parameter' ? { [reference.name]: object.value } : {};
  // A password change leaves nothing to read back; whether the owner can still log in shows it.
  const password = changesPassword(op) ? ownPassword(ctx, object.owner) : undefined;
  const readback = readBackFor(ctx, op, params, object);
  if (!readback && !password) return 'unverifiable';
  const before = readback ? await readBack(ctx, object.owner, readback) : undefined;
  if (readback && !before) return 'unverifiable';
  if (!password && !before?.served) return 'owner-cannot-read';
  const schema = op.requestBody?.schema;
  const markerName = markerProperty(schema);
  const marker = markerName === undefined ? undefined : newMarker();
  const set: Record<string, unknown> = marker === undefined || markerName === undefined ? {} : { [markerName]: marker };
  if (reference.where === 'body') set[reference.name] = object.value;
  if (reference.where === 'body-list') set[reference.name] = [object.value];
  const own = (property: string) => ctx.harvest.objects.find((o) => o.owner === caller.name && o.kind === referenceKind(property, ''))?.value;
  const body = sampleRequestBody(op, { set, references: own });
  const request = buildRequest(ctx, op, params, caller.name, body);
  const response = await call(ctx, op, caller.name, request);
  if (!response) return 'unverifiable';
  const after = readback && before?.served ? await readBack(ctx, object.owner, readback) : undefined;
  // PUT and PATCH change the object they name, so any change counts; other writes must show the marker or a deletion.
  const effect = before?.served && after ? writeEffect(before, after, marker, op.method === 'PUT' || op.method === 'PATCH') : undefined;
  // Whatever the status said (some APIs answer 500 after the change is made), the login decides.
  const takeover = password ? await lockedOut(ctx, op, request, caller.name, object.owner, password) : undefined;
  const leaked = before?.response ? leakEvidence(ctx, object, before.response, response, reference.where !== 'parameter') : undefined;
  const evidence = takeover ?? effect ?? leaked;
  setCell(ctx, op, caller.name, evidence ? 'leaked' : 'denied');
  if (!evidence) return 'denied';
  if (reported(ctx, 'bola', op, object.owner, caller.name)) return 'leaked';
  const verb = takeover ? 'takes over' : looksDestructive(op) ? 'deletes' : effect ? 'changes' : 'reaches';
  const via = reference.where === 'parameter' ? '' : ` (${reference.name} in the body)`;
  ctx.findings.push({
    check: 'bola',
    owasp: owaspFor('bola'),
    severity: takeover ? 'critical' : 'high',
    operation: reportOperation(op),
    owner: object.owner,
    caller: caller.name,
    title: `${caller.name} ${verb} ${object.owner}'s ${takeover ? 'account' : objectLabel(object.kind, reference.name)} through ${op.method} ${op.path}${via}`,
    evidence: `${response.status}; ${evidence}`,
    curl: ctx.client.curlFor(caller.name, request),
  });
  return 'leaked';
}

function changesPassword(op: Operation): boolean {
  return /pass(word)?|pwd|credential/i.test(op.path) || /pass(word)?|pwd|credential/i.test(op.operationId);
}

/** The owner's own password, from its login recipe, when it has one. */
function ownPassword(ctx: AuditContext, owner: string): string | undefined {
  const identity = ctx.identities.identities.find((i) => i.name === owner);
  if (identity?.credential.kind !== 'login' || identity.credential.login.body.kind === 'none') return undefined;
  const body = identity.credential.login.body.value as Record<string, unknown>;
  const value = Object.entries(body ?? {}).find(([key]) => /pass|pwd|secret/i.test(key))?.[1];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether the owner's login fails after the caller's password change: then the caller took the
 * account over. The flaw that allowed it puts the owner's own password back, so the rest of the
 * audit (and the target) is left as it was; the evidence says when that failed.
 */
async function lockedOut(ctx: AuditContext, op: Operation, request: AuditRequest, caller: string, owner: string, password: string): Promise<string | undefined> {
  if (await ctx.client.canLogIn(owner)) return undefined;
  const body = typeof request.json === 'object' && request.json !== null ? (request.json as Record<string, unknown>) : {};
  const field = Object.keys(body).find((key) => /pass|pwd|secret/i.test(key) && !/current|old/i.test(key));
  if (field !== undefined) await call(ctx, op, caller, { ...request, json: { ...body, [field]: password } });
  const restored = field !== undefined && (await ctx.client.canLogIn(owner));
  return `${owner} can no longer log in with its own password${restored ? ' (the auditor put it back)' : '; putting it back failed, so that identity stays locked out'}`;
}

/** The operation's references with the objects to try through each, the auditor's own creations first. */
function referencesOf(ctx: AuditContext, op: Operation): Reference[] {
  const references: Reference[] = referenceParameters(op).map((parameter) => ({
    name: parameter.name,
    where: 'parameter' as const,
    targets: limit(objectsForParameter(ctx.harvest.objects, op, parameter)),
  }));
  // Body references only where the path names nothing: otherwise the path decides whose object it is.
  if (references.length > 0) return references;
  for (const name of Object.keys(propertiesOf(op.requestBody?.schema))) {
    const single = referenceKind(name, '');
    const list = referenceListKind(name);
    const kind = single ?? list;
    if (kind === undefined) continue;
    references.push({ name, where: single !== undefined ? 'body' : 'body-list', targets: limit(ctx.harvest.objects.filter((o) => o.kind === kind)) });
  }
  return references;
}

/** Per owner, the first `objectsPerOwner` objects, created ones before harvested ones. */
function limit(objects: readonly HarvestedObject[]): HarvestedObject[] {
  const ordered = [...objects].sort((a, b) => Number(b.created === true) - Number(a.created === true));
  const perOwner = new Map<string, number>();
  return ordered.filter((o) => {
    const count = perOwner.get(o.owner) ?? 0;
    perOwner.set(o.owner, count + 1);
    return count < objectsPerOwner;
  });
}
