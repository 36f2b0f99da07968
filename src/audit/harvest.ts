import type { AuditContext, Creation, Harvest, HarvestedObject } from './checks/context.js';
import { call, looksDestructive, setCell } from './checks/context.js';
import { leaves, looksSensitive, refused, servedData } from './checks/evidence.js';
import type { Identity } from './identities.js';
import {
  type ConsumerShape,
  consumerShapes,
  fittingShapes,
  isSelfPath,
  linkKind,
  nameKind,
  type PathTemplate,
  pathKind,
  pathTemplates,
  referenceKind,
  referenceParameters,
  referencesInUrl,
  singular,
} from './references.js';
import { buildRequest } from './checks/requests.js';
import { type ReferenceLookup, sampleRequestBody } from './sample.js';
import type { Operation } from './spec.js';

export type { Harvest, HarvestedObject };

/** One value seen in one identity's answer. */
interface Sighting {
  kind: string;
  value: string;
  identity: string;
  op: Operation;
  /** The top-level object of a "me" answer: the caller itself. */
  self: boolean;
  /** Sibling values that may name the object's owner (`userId`, `owner.id`, `author`...). */
  ownerRefs: string[];
}

/** Wrappers such as `data`/`items` keep the operation's kind; other names name their object. */
const wrapperNames = /^(data|items|results|records|content|page|list|entries|result|payload)$/i;
/** Keys of values that may name who an object belongs to. */
const ownerKeys = /^(user|owner|author|creator|createdby|account|member|username|userid|ownerid|authorid|creatorid|accountid|memberid|email|login)$/i;

/**
 * Collects the objects each identity owns. Every identity calls every read without path
 * parameters (lists, "me"), the links of their answers are followed, and with --allow-writes each
 * identity also calls the create operations once. A value is owned by an identity when:
 * 1. it is the identity itself (the top-level object of a "me" answer, the name it logs in with);
 * 2. its object's owner field (`userId`, `owner.id`, `author`...) names that identity alone;
 * 3. only that identity saw it, and it names no other identity;
 * 4. the identity created it, or the identities file says so (`owns`).
 * Anything else (a public catalog entry, another member's card) has no owner and is not probed.
 */
export async function harvest(ctx: AuditContext): Promise<Harvest> {
  const sightings: Sighting[] = [];
  const sensitive = new Map<string, { key: string; value: string }[]>();
  const wanted: Wanted = {
    names: wantedNames(ctx.operations),
    shapes: consumerShapes(ctx.operations),
    templates: pathTemplates(ctx.operations),
    target: new URL(ctx.target),
  };
  const members = ctx.identities.identities.filter((i) => i.credential.kind !== 'none');
  const producers = ctx.operations.filter((op) => op.method === 'GET' && !op.parameters.some((p) => p.in === 'path'));
  // Reads the spec leaves open are also made anonymously, so the exposure check sees what anyone gets.
  const anonymous = ctx.identities.identities.find((i) => i.credential.kind === 'none')?.name;
  if (anonymous !== undefined) {
    await Promise.all(
      producers
        .filter((op) => op.security.length === 0)
        .map(async (op) => {
          const response = await call(ctx, op, anonymous, buildRequest(ctx, op));
          if (response) setCell(ctx, op, anonymous, refused(response) ? 'denied' : 'allowed');
        }),
    );
  }
  await Promise.all(
    members.flatMap((identity) =>
      producers.map(async (op) => {
        const response = await call(ctx, op, identity.name, buildRequest(ctx, op));
        if (response) setCell(ctx, op, identity.name, refused(response) ? 'denied' : 'allowed');
        if (!response || !servedData(response) || response.json === undefined) return;
        collect(response.json, op, identity.name, wanted, sightings);
        if (isSelfPath(op)) {
          const own = leaves(response.json).filter((l) => looksSensitive(l.key) && l.value.length >= 2 && !ctx.identities.publicFields.includes(l.key));
          const mine = sensitive.get(identity.name) ?? [];
          mine.push(...own.map((l) => ({ key: l.key, value: l.value })));
          sensitive.set(identity.name, mine);
        }
      }),
    ),
  );
  const selves = selfValues(members, sightings);
  const objects = attribute(sightings, selves);
  for (const identity of members) {
    for (const [name, values] of Object.entries(identity.owns)) {
      // A hint names a kind (`userId` → user) and, exactly, any parameter of that name.
      const kinds = new Set([referenceKind(name, ''), nameKind(name)].filter((k): k is string => k !== undefined));
      for (const kind of kinds) for (const value of values) objects.push({ kind, value, owner: identity.name });
    }
  }
  // An identity's own user first: probes take the first few objects per owner.
  objects.sort((a, b) => Number(selves.get(b.owner)?.has(b.value) ?? false) - Number(selves.get(a.owner)?.has(a.value) ?? false));
  const creations = ctx.allowWrites ? await create(ctx, members, objects, wanted) : [];
  return { objects, sensitive, selves, creations };
}

/** What answers are searched for beyond the naming conventions: parameter names and answer shapes. */
interface Wanted {
  names: Set<string>;
  shapes: ConsumerShape[];
  /** Spec paths with parameters, to read hypermedia links (`"href": "/docs/abc"`) on the target. */
  templates: PathTemplate[];
  target: URL;
}

/** Reference parameters by exact name: answers are searched for properties so named (or kind + property). */
function wantedNames(operations: readonly Operation[]): Set<string> {
  const names = new Set<string>();
  for (const op of operations) {
    for (const parameter of referenceParameters(op)) names.add(nameKind(parameter.name));
  }
  return names;
}

/** Walks one answer and records every object reference in it, with the owner fields beside it. */
function collect(json: unknown, op: Operation, identity: string, wanted: Wanted, out: Sighting[]): void {
  const self = isSelfPath(op);
  const walk = (node: unknown, container: string, top: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, container, false);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const ownerRefs = ownerReferences(record);
    const shapes = fittingShapes(wanted.shapes, Object.keys(record));
    for (const [name, value] of Object.entries(record)) {
      if (typeof value === 'string' || typeof value === 'number') {
        if (String(value) === '') continue;
        // Owner fields describe the object itself (its `id`, or a key such as `book_title`), not the
        // objects it refers to: a workout's `classId` is not its owner's class.
        const own = referenceKind(name, '') === undefined;
        // By name: the property's own (`book_title` for `{book_title}`), or the object's kind and the
        // property together (an order's `number` for `{orderNumber}`).
        const byName = [nameKind(name), nameKind(`${singular(container)}${name}`)].filter((k) => wanted.names.has(k));
        // By shape: the `id` of an object that looks like what a single-object read answers.
        const byShape = /^(id|_id|uuid)$/.test(name) ? shapes.map((s) => s.kind) : [];
        const kinds = [referenceKind(name, container), ...byName, ...byShape];
        for (const kind of kinds) {
          if (kind !== undefined) out.push({ kind, value: String(value), identity, op, self: self && top, ownerRefs: own ? ownerRefs : [] });
        }
        if (typeof value === 'string') {
          for (const link of referencesInUrl(value, wanted.target, wanted.templates)) out.push({ ...link, identity, op, self: false, ownerRefs });
        }
      } else if (typeof value === 'object' && value !== null) {
        const wrapper = wrapperNames.test(name);
        walk(value, wrapper ? container : name, top && wrapper && !Array.isArray(value));
      }
    }
  };
  walk(json, pathKind(op), true);
  for (const link of Object.values(op.responses).flatMap((r) => r.links ?? [])) {
    for (const [parameter, expression] of Object.entries(link.parameters)) {
      const value = evaluateLink(expression, json);
      if (value !== undefined) out.push({ kind: linkKind(link.operationId, parameter), value, identity, op, self, ownerRefs: [] });
    }
  }
}

/** Values in an object that may name its owner: `userId: 7`, `owner: "alice"`, `author: { id: 7 }`. */
function ownerReferences(record: Record<string, unknown>): string[] {
  const refs: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    const normalized = name.replace(/[^a-z0-9]/gi, '');
    if ((typeof value === 'string' || typeof value === 'number') && ownerKeys.test(normalized)) refs.push(String(value));
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const nested = value as Record<string, unknown>;
      for (const key of ['id', 'username', 'email']) {
        const inner = nested[key];
        if (typeof inner === 'string' || typeof inner === 'number') refs.push(String(inner));
      }
    }
  }
  return refs;
}

/** `$response.body#/a/0/b` against the answer's JSON; other expressions are not followed. */
function evaluateLink(expression: string, json: unknown): string | undefined {
  const match = /^\$response\.body#(.*)$/.exec(expression.trim());
  if (!match) return undefined;
  let node: unknown = json;
  for (const raw of (match[1] ?? '').split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return typeof node === 'string' || typeof node === 'number' ? String(node) : undefined;
}

/** What names each identity: the values of its own "me" answers, its login name and its `owns` hints. */
function selfValues(members: readonly Identity[], sightings: readonly Sighting[]): Map<string, Set<string>> {
  const selves = new Map<string, Set<string>>(members.map((m) => [m.name, new Set<string>()]));
  for (const s of sightings) if (s.self) selves.get(s.identity)?.add(s.value);
  for (const identity of members) {
    const own = selves.get(identity.name);
    if (!own) continue;
    for (const values of Object.values(identity.owns)) for (const value of values) own.add(value);
    if (identity.credential.kind === 'login' && identity.credential.login.body.kind !== 'none') {
      const body = identity.credential.login.body.value as Record<string, unknown>;
      for (const [key, value] of Object.entries(body ?? {})) {
        if (typeof value === 'string' && /^(login|user(name)?|email|name)$/i.test(key)) own.add(value);
      }
    }
  }
  return selves;
}

/** Applies the ownership rules of `harvest` to every distinct value. */
function attribute(sightings: readonly Sighting[], selves: Map<string, Set<string>>): HarvestedObject[] {
  const byValue = new Map<string, Sighting[]>();
  for (const s of sightings) {
    const key = `${s.kind}\u0000${s.value}`;
    const group = byValue.get(key);
    if (group) group.push(s);
    else byValue.set(key, [s]);
  }
  const objects: HarvestedObject[] = [];
  for (const group of byValue.values()) {
    const first = group[0] as Sighting;
    const names = (set: Iterable<string>) => [...new Set(set)];
    const claimedAsSelf = names([
      ...group.filter((s) => s.self).map((s) => s.identity),
      // A username (or id) an identity logs in with, or was given as `owns`, names that identity.
      ...[...selves].filter(([, values]) => values.has(first.value)).map(([name]) => name),
    ]);
    const namedBy = names(
      [...selves].filter(([, values]) => group.some((s) => s.ownerRefs.some((ref) => values.has(ref)))).map(([name]) => name),
    );
    const seenBy = names(group.map((s) => s.identity));
    const namesOther = [...selves].some(([name, values]) => values.has(first.value) && !seenBy.every((seer) => seer === name));
    const owner =
      claimedAsSelf.length === 1 ? claimedAsSelf[0] : namedBy.length === 1 ? namedBy[0] : seenBy.length === 1 && !namesOther ? seenBy[0] : undefined;
    if (owner === undefined) continue;
    const source = group.find((s) => s.identity === owner)?.op ?? first.op;
    objects.push({ kind: first.kind, value: first.value, owner, source });
  }
  return objects;
}

/** POSTs to collections that are not login, registration or logout, and look harmless. */
export function isCreateOperation(ctx: AuditContext, op: Operation): boolean {
  if (op.method !== 'POST' || op.parameters.some((p) => p.in === 'path')) return false;
  if (looksDestructive(op) || /log-?in|sign-?in|auth|session|register|sign-?up/i.test(op.path)) return false;
  return !ctx.identities.identities.some((i) => i.credential.kind === 'login' && i.credential.login.path === op.path);
}

/**
 * With --allow-writes, each identity calls each create operation once with a body made from the
 * schema; what it creates is its own, and safe to probe with writes and deletes later.
 */
async function create(ctx: AuditContext, members: readonly Identity[], objects: HarvestedObject[], wanted: Wanted): Promise<Creation[]> {
  const creates = ctx.operations.filter((op) => isCreateOperation(ctx, op));
  const creations: Creation[] = [];
  for (const op of creates) {
    await Promise.all(
      members.map(async (identity) => {
        const references: ReferenceLookup = (property) => {
          const kind = referenceKind(property, '');
          return (objects.find((o) => o.kind === kind && o.owner === identity.name) ?? objects.find((o) => o.kind === kind))?.value;
        };
        const request = { method: op.method, path: op.path, json: sampleRequestBody(op, { references }) };
        const response = await call(ctx, op, identity.name, request);
        if (response) setCell(ctx, op, identity.name, refused(response) ? 'denied' : 'allowed');
        if (!response || response.status < 200 || response.status >= 300 || refused(response)) return;
        const id = createdId(op, response);
        creations.push({ op, identity: identity.name, request, response, ...(id !== undefined ? { id } : {}) });
        // The sampled strings are unique: seen in another identity's answer, they prove a leak like a canary.
        const canaries = leaves(request.json).map((l) => l.value).filter((v) => /pa[0-9a-f]{10}/.test(v));
        if (id !== undefined) objects.unshift({ kind: pathKind(op), value: id, owner: identity.name, source: op, created: true, canaries });
        const found: Sighting[] = [];
        if (response.json !== undefined) collect(response.json, op, identity.name, wanted, found);
        for (const s of found) {
          if (s.value !== id && !objects.some((o) => o.kind === s.kind && o.value === s.value)) objects.push({ kind: s.kind, value: s.value, owner: identity.name, source: op });
        }
      }),
    );
  }
  return creations;
}

/** The new object's id: `id` (or `<kind>Id`) at the top of the answer or under a wrapper, else the Location header's last segment. */
export function createdId(op: Operation, response: { json?: unknown; headers: Record<string, string> }): string | undefined {
  const kind = pathKind(op);
  const find = (node: unknown, depth: number): string | undefined => {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || depth > 2) return undefined;
    for (const [name, value] of Object.entries(node as Record<string, unknown>)) {
      if ((typeof value === 'string' || typeof value === 'number') && String(value) !== '' && referenceKind(name, kind) === kind) return String(value);
    }
    for (const [name, value] of Object.entries(node as Record<string, unknown>)) {
      if (wrapperNames.test(name) || singular(name) === kind) {
        const inner = find(value, depth + 1);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  const fromBody = find(response.json, 0);
  if (fromBody !== undefined) return fromBody;
  const location = response.headers.location;
  if (location === undefined) return undefined;
  const last = location.split('?')[0]?.split('/').filter(Boolean).pop();
  return last === undefined ? undefined : decodeURIComponent(last);
}

