import type { AuditRequest } from '../http-client.js';
import { isCreateOperation, createdId } from '../harvest.js';
import { objectsForParameter, pathKind, referenceParameters } from '../references.js';
import { type CoverageValue, owaspFor } from '../report-model.js';
import { flatten, markerProperty, newMarker, propertiesOf, sampleRequestBody, typeOf } from '../sample.js';
import type { Operation, Schema } from '../spec.js';
import { looksAdministrative } from './bfla.js';
import { type AuditContext, call, type HarvestedObject, isAdmin, isLogin, isRegistration, isSafeMethod, looksDestructive, methodBlocked, reportOperation, setCell, setCoverage } from './context.js';
import { leaves, refused } from './evidence.js';
import { itemReadFor, type ReadBack, readBack, readBackFor, type Snapshot } from './readback.js';
import { buildRequest } from './requests.js';

/** Properties that grant rights or money when a client may set them. */
const privilegedNames = /^(roles?|is_?admin|admin|is_?super_?user|super_?user|is_?staff|staff|is_?verified|verified|email_?verified|is_?approved|approved|permissions|is_?premium|premium|plan|tier|balance|credits?|points|wallet|owner|owner_?id|user_?id|account_?id|created_?by|author_?id|tenant_?id|org(anization)?_?id)$/i;
const ownerNames = /^(owner|owner_?id|user_?id|account_?id|created_?by|author_?id)$/i;

/**
 * API3 mass assignment (with --allow-writes): an identity repeats its own create or update with
 * privileged properties added — the schema's own (`role`, `verified`, `balance`...) and common
 * undeclared ones (`role`, `isAdmin`, `admin`, `verified`, an owner id naming another identity)
 * — then reads the object back as itself. A finding is an injected value that stuck. A refusal
 * of the whole body is retried with the declared properties only, since rejecting unknown
 * properties is correct and proves nothing about the declared ones.
 */
export async function checkMassAssignment(ctx: AuditContext): Promise<void> {
  for (const op of ctx.operations) await probe(ctx, op);
}

async function probe(ctx: AuditContext, op: Operation): Promise<void> {
  ctx.tick();
  const applicable = ['POST', 'PUT', 'PATCH'].includes(op.method) && op.requestBody !== undefined && typeOf(flatten(op.requestBody.schema ?? {})) !== 'array';
  // Sign-ups are probed by registration.ts, with a login as the new account.
  if (isRegistration(op)) return;
  if (!applicable || isSafeMethod(op.method) || looksAdministrative(op) || isLogin(ctx, op) || /\/auth(\/|$)/i.test(op.path)) return setCoverage(ctx, op, 'mass-assignment', 'not applicable');
  // Repeating a password change or a deletion with extra properties would only do it again.
  const blocked = methodBlocked(ctx, op) ?? (looksDestructive(op) ? 'skipped: looks destructive; only harmless writes are repeated' : undefined);
  if (blocked) return setCoverage(ctx, op, 'mass-assignment', blocked);
  const plan = planFor(ctx, op);
  if (typeof plan === 'string') return setCoverage(ctx, op, 'mass-assignment', plan);
  const before = await readBack(ctx, plan.identity, plan.readback);
  if (!before?.served && !plan.create) return setCoverage(ctx, op, 'mass-assignment', "skipped: the owner's read returned no data to compare");
  const schema = op.requestBody?.schema;
  const injected = injections(ctx, schema, plan.identity);
  const declared = Object.fromEntries(Object.entries(injected).filter(([name]) => name in propertiesOf(schema)));
  let outcome = await inject(ctx, op, plan, injected);
  if (outcome === 'refused' && Object.keys(declared).length > 0 && Object.keys(declared).length < Object.keys(injected).length) {
    outcome = await inject(ctx, op, plan, declared);
  }
  if (outcome === undefined) return setCoverage(ctx, op, 'mass-assignment', 'skipped: request budget exhausted');
  if (outcome !== 'refused' && outcome.after === undefined) {
    setCell(ctx, op, plan.identity, 'allowed');
    return setCoverage(ctx, op, 'mass-assignment', 'skipped: the write was accepted but no read shows the object it made');
  }
  setCoverage(ctx, op, 'mass-assignment', 'tested');
  if (outcome === 'refused' || outcome.after === undefined) {
    setCell(ctx, op, plan.identity, 'denied');
    return;
  }
  const stuck = Object.entries(outcome.sent).filter(([name, value]) => holds(outcome.after, name, value) && !(before && holds(before, name, value)));
  if (stuck.length === 0) {
    setCell(ctx, op, plan.identity, 'allowed');
    return;
  }
  setCell(ctx, op, plan.identity, 'leaked');
  ctx.findings.push({
    check: 'mass-assignment',
    owasp: owaspFor('mass-assignment'),
    severity: stuck.some(([name]) => /admin|role|super|staff|permission/i.test(name)) ? 'high' : 'medium',
    operation: reportOperation(op),
    caller: plan.identity,
    title: `${plan.identity} sets ${stuck.map(([name]) => name).join(', ')} through ${op.method} ${op.path}`,
    evidence: `${outcome.status}; read back as ${plan.identity}: ${stuck.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}`,
    curl: ctx.client.curlFor(plan.identity, outcome.request),
  });
}

interface Plan {
  identity: string;
  params: Record<string, string>;
  readback: ReadBack;
  /** For creates: the new object is read back by its id, found in the answer. */
  create?: { itemRead: (id: string) => ReadBack | undefined };
  base: Record<string, unknown>;
}

/** Who writes what: a non-admin identity's own object (or its own create), and how to read it back. */
function planFor(ctx: AuditContext, op: Operation): Plan | CoverageValue {
  const members = ctx.identities.identities.filter((i) => i.credential.kind !== 'none' && !isAdmin(i));
  if (members.length === 0) return 'skipped: no non-admin identity';
  const schema = op.requestBody?.schema;
  if (isCreateOperation(ctx, op)) {
    const creation = ctx.harvest.creations.find((c) => c.op === op && c.id !== undefined && members.some((m) => m.name === c.identity));
    if (!creation?.id) return 'skipped: no identity could create this kind of object';
    // Read back through the item read for this kind, else the list on the create's own path.
    const list = ctx.operations.find((o) => o.method === 'GET' && o.path === op.path);
    const itemRead = (id: string) => itemReadFor(ctx, { kind: pathKind(op), value: id, owner: creation.identity, ...(list ? { source: list } : {}) });
    const readback = itemRead(creation.id);
    if (!readback) return 'skipped: no read shows the created objects';
    return { identity: creation.identity, params: {}, readback, create: { itemRead }, base: (creation.request.json ?? {}) as Record<string, unknown> };
  }
  const references = referenceParameters(op);
  for (const member of members) {
    const params: Record<string, string> = {};
    let object: HarvestedObject | undefined;
    for (const parameter of references) {
      const own = objectsForParameter(ctx.harvest.objects, op, parameter).filter((o) => o.owner === member.name);
      const chosen = own.find((o) => o.created) ?? own[0];
      if (!chosen) break;
      params[parameter.name] = chosen.value;
      object ??= chosen;
    }
    if (Object.keys(params).length < references.length) continue;
    const readback = readBackFor(ctx, op, params, object);
    if (!readback) continue;
    // An update needs some property to carry: a marker where one fits, else the schema's required ones.
    const markerName = markerProperty(schema);
    const base = sampleRequestBody(op, markerName ? { set: { [markerName]: newMarker() } } : {}) as Record<string, unknown>;
    return { identity: member.name, params, readback, base };
  }
  return references.length > 0 ? 'skipped: no identity owns an object this operation takes' : 'skipped: no read shows what this operation changes';
}

/** The privileged values to add, by name: declared ones of the schema and the usual undeclared ones. */
function injections(ctx: AuditContext, schema: Schema | undefined, identity: string): Record<string, unknown> {
  return privilegedInjections(schema, otherIdentityId(ctx, identity));
}

/** The privileged values to add: the usual undeclared ones, the schema's own, and `other` in owner fields. */
export function privilegedInjections(schema: Schema | undefined, other: string | undefined): Record<string, unknown> {
  const values: Record<string, unknown> = { role: 'admin', isAdmin: true, admin: true, verified: true };
  if (other !== undefined) values.userId = other;
  for (const [name, raw] of Object.entries(propertiesOf(schema))) {
    if (!privilegedNames.test(name) || (raw as Schema).readOnly === true) continue;
    const value = privilegedValue(name, flatten(raw as Schema), other);
    if (value === undefined) delete values[name];
    else values[name] = value;
  }
  return values;
}

function privilegedValue(name: string, schema: Schema, other: string | undefined): unknown {
  if (ownerNames.test(name)) return other;
  const type = typeOf(schema);
  if (Array.isArray(schema.enum)) return schema.enum.find((v) => typeof v === 'string' && /admin|super|owner|premium|enterprise|pro/i.test(v)) ?? undefined;
  if (type === 'boolean') return true;
  if (type === 'integer' || type === 'number') return typeof schema.maximum === 'number' ? schema.maximum : 1_000_000;
  if (type === 'array') return ['admin'];
  if (type === 'string' || type === undefined) return /role|plan|tier/i.test(name) ? 'admin' : undefined;
  return undefined;
}

/** An id naming another identity (its own user), for owner fields. */
function otherIdentityId(ctx: AuditContext, identity: string): string | undefined {
  return ctx.harvest.objects.find((o) => o.kind === 'user' && o.owner !== identity)?.value;
}

type Injection = { status: number; request: AuditRequest; sent: Record<string, unknown>; after: Snapshot | undefined } | 'refused' | undefined;

async function inject(ctx: AuditContext, op: Operation, plan: Plan, injected: Record<string, unknown>): Promise<Injection> {
  const request = buildRequest(ctx, op, plan.params, plan.identity, { ...plan.base, ...injected });
  const response = await call(ctx, op, plan.identity, request);
  if (!response) return undefined;
  if (response.status < 200 || response.status >= 300 || refused(response)) return 'refused';
  let readback: ReadBack | undefined = plan.readback;
  if (plan.create) {
    const id = createdId(op, response);
    readback = id === undefined ? undefined : plan.create.itemRead(id);
  }
  const after = readback ? await readBack(ctx, plan.identity, readback) : undefined;
  return { status: response.status, request, sent: injected, after };
}

/** Whether the snapshot holds `value` under property `name` (arrays: as one of their items). */
function holds(snapshot: Snapshot | undefined, name: string, value: unknown): boolean {
  if (!snapshot?.served) return false;
  const wanted = Array.isArray(value) ? value.map(String) : [String(value)];
  const found = leaves(snapshot.json).filter((l) => l.key === name).map((l) => l.value);
  return wanted.every((w) => found.includes(w));
}
