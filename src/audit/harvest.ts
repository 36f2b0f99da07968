import type { AuditContext, Harvest, HarvestedObject } from './checks/context.js';
import { call, setCell } from './checks/context.js';
import { leaves, looksSensitive, refused, servedData } from './checks/evidence.js';
import type { Operation, Parameter } from './spec.js';

export type { Harvest, HarvestedObject };

/** Path segments that say "the caller's own": their answers belong to the caller. */
const selfSegments = new Set(['me', 'self', 'my', 'current', 'mine', 'whoami']);

export function singular(word: string): string {
  const lower = word.toLowerCase();
  if (lower.endsWith('ies')) return `${lower.slice(0, -3)}y`;
  if (lower.endsWith('ses')) return lower.slice(0, -2);
  return lower.endsWith('s') ? lower.slice(0, -1) : lower;
}

/** The kind of object a property or parameter name refers to, or undefined if it is no reference. */
export function referenceKind(name: string, container: string): string | undefined {
  if (name === 'username') return 'username';
  if (name === 'id') return container === '' ? undefined : singular(container);
  const match = /^(.+?)(?:Id|_id|ID)$/.exec(name);
  return match?.[1] ? singular(match[1]) : undefined;
}

/** The object kind an operation's own `id`s denote: the last static segment, "me" meaning a user. */
function pathKind(op: Operation): string {
  const segments = op.path.split('/').filter((s) => s !== '' && !s.startsWith('{'));
  const last = segments[segments.length - 1] ?? '';
  return selfSegments.has(last.toLowerCase()) ? 'user' : singular(last);
}

export function referenceParameters(op: Operation): Parameter[] {
  return op.parameters.filter((p) => (p.in === 'path' || p.in === 'query') && parameterKind(op, p) !== undefined);
}

/** `{id}` takes its kind from the segment before it (`/workouts/{id}` → workout). */
export function parameterKind(op: Operation, parameter: Parameter): string | undefined {
  if (parameter.name !== 'id') return referenceKind(parameter.name, '');
  const segments = op.path.split('/');
  const index = segments.indexOf('{id}');
  return referenceKind('id', index > 0 ? (segments[index - 1] ?? '') : '');
}

function isSelfPath(op: Operation): boolean {
  return op.path.split('/').some((s) => selfSegments.has(s.toLowerCase()));
}

/** Objects in one answer: `id` under a named property or the operation's own kind, `<x>Id`, `username`. */
function objectsIn(json: unknown, container: string, out: { kind: string; value: string }[]): void {
  if (Array.isArray(json)) {
    for (const item of json) objectsIn(item, container, out);
    return;
  }
  if (typeof json !== 'object' || json === null) return;
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number') {
      const kind = referenceKind(name, container);
      if (kind !== undefined && String(value) !== '') out.push({ kind, value: String(value) });
    } else if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
      // Wrappers such as `data`/`items` keep the operation's kind; other names name their object.
      const wrapper = /^(data|items|results|records|content|page|list|entries)$/i.test(name);
      objectsIn(value, wrapper ? container : name, out);
    }
  }
}

/**
 * Calls each identity's own read operations (GET without path parameters), collects the object
 * references they return and keeps a value as owned by an identity when it comes from a "me"
 * path or no other identity saw it. The identities' `owns` hints are added as given.
 */
export async function harvest(ctx: AuditContext): Promise<Harvest> {
  const seen = new Map<string, { kind: string; value: string; owners: Set<string>; self: Set<string> }>();
  const sensitive = new Map<string, { key: string; value: string }[]>();
  // Public reads are called too, for the exposure scan, but never attribute ownership.
  const producers = ctx.operations.filter((op) => op.method === 'GET' && !op.parameters.some((p) => p.in === 'path'));
  const members = ctx.identities.identities.filter((i) => i.credential.kind !== 'none');
  await Promise.all(
    members.flatMap((identity) =>
      producers.map(async (op) => {
        const response = await call(ctx, op, identity.name, { method: 'GET', path: op.path });
        if (response) setCell(ctx, op, identity.name, refused(response) ? 'denied' : 'allowed');
        if (!response || !servedData(response) || response.json === undefined || op.security.length === 0) return;
        const found: { kind: string; value: string }[] = [];
        objectsIn(response.json, pathKind(op), found);
        for (const { kind, value } of found) {
          const key = `${kind}\u0000${value}`;
          const entry = seen.get(key) ?? { kind, value, owners: new Set<string>(), self: new Set<string>() };
          entry.owners.add(identity.name);
          if (isSelfPath(op)) entry.self.add(identity.name);
          seen.set(key, entry);
        }
        if (isSelfPath(op)) {
          const own = leaves(response.json).filter((l) => looksSensitive(l.key) && l.value.length >= 2 && !ctx.identities.publicFields.includes(l.key));
          sensitive.set(identity.name, [...(sensitive.get(identity.name) ?? []), ...own.map((l) => ({ key: l.key, value: l.value }))]);
        }
      }),
    ),
  );
  const objects: HarvestedObject[] = [];
  for (const entry of seen.values()) {
    // Seen from one identity's own paths, or by one identity only: otherwise ownership is unclear.
    const owners = entry.self.size === 1 ? [...entry.self] : entry.owners.size === 1 ? [...entry.owners] : [];
    for (const owner of owners) objects.push({ kind: entry.kind, value: entry.value, owner });
  }
  for (const identity of members) {
    for (const [name, values] of Object.entries(identity.owns)) {
      const kind = referenceKind(name, '') ?? name.toLowerCase();
      for (const value of values) objects.push({ kind, value, owner: identity.name });
    }
  }
  return { objects, sensitive };
}
