import type { AuditRequest, AuditResponse } from '../http-client.js';
import { acceptedKinds, referenceParameters } from '../references.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, type HarvestedObject } from './context.js';
import { leaves, servedData } from './evidence.js';
import { buildRequest } from './requests.js';

/**
 * Writes are judged by their effect, not their status: some APIs answer 204 and change nothing,
 * others deny with 200. So every write probe reads the object back, as its owner (or an admin),
 * before and after, through one of these reads.
 */
export interface ReadBack {
  op: Operation;
  request: AuditRequest;
  /** Set when the read is a list: the object is the item holding this value. */
  item?: string;
}

export interface Snapshot {
  /** Whether the object was there to read. */
  served: boolean;
  text: string;
  json: unknown;
  response?: AuditResponse;
}

/**
 * The read that shows the object a write names: a GET on the same path, else a GET on a path the
 * write's extends (`/users/{id}` for `/users/{id}/suspend`), else a GET taking the object's kind,
 * else the list the object was harvested from.
 */
export function readBackFor(ctx: AuditContext, write: Operation, params: Record<string, string>, object?: HarvestedObject): ReadBack | undefined {
  const reads = ctx.operations.filter((op) => op.method === 'GET');
  const takesParams = (op: Operation) => op.parameters.filter((p) => p.in === 'path').every((p) => params[p.name] !== undefined);
  const same = reads.find((op) => op.path === write.path && takesParams(op));
  if (same) return { op: same, request: buildRequest(ctx, same, params) };
  const prefixes = reads
    .filter((op) => op.path.includes('{') && write.path.startsWith(`${op.path}/`) && takesParams(op))
    .sort((a, b) => b.path.length - a.path.length);
  if (prefixes[0]) return { op: prefixes[0], request: buildRequest(ctx, prefixes[0], params) };
  const item = object ? itemReadFor(ctx, object) : undefined;
  if (item || !object) return item;
  // `DELETE /me/tokens/{tokenId}` is seen through the list `GET /me/tokens`.
  const parent = write.path.replace(/\/\{[^/]+\}$/, '');
  const list = parent !== write.path ? reads.find((op) => op.path === parent && takesParams(op)) : undefined;
  return list ? { op: list, request: buildRequest(ctx, list, params), item: object.value } : undefined;
}

/** A GET taking the object's kind as its one reference, else the list the object was seen in. */
export function itemReadFor(ctx: AuditContext, object: HarvestedObject): ReadBack | undefined {
  for (const op of ctx.operations.filter((o) => o.method === 'GET')) {
    const references = referenceParameters(op);
    const single = references.length === 1 && op.parameters.filter((p) => p.in === 'path').length <= 1 ? references[0] : undefined;
    if (single && acceptedKinds(op, single).includes(object.kind)) return { op, request: buildRequest(ctx, op, { [single.name]: object.value }) };
  }
  if (object.source && object.source.method === 'GET' && !object.source.parameters.some((p) => p.in === 'path')) {
    return { op: object.source, request: { method: 'GET', path: object.source.path }, item: object.value };
  }
  return undefined;
}

export async function readBack(ctx: AuditContext, identity: string, readback: ReadBack): Promise<Snapshot | undefined> {
  const response = await call(ctx, undefined, identity, readback.request);
  if (!response) return undefined;
  if (readback.item === undefined) {
    const served = servedData(response);
    return { served, text: served ? response.bodyText : '', json: served ? response.json : undefined, response };
  }
  const item = servedData(response) ? findItem(response.json, readback.item) : undefined;
  return { served: item !== undefined, text: item === undefined ? '' : JSON.stringify(item), json: item, response };
}

/** The innermost object in a list answer with a property equal to `value`. */
export function findItem(json: unknown, value: string): unknown {
  if (Array.isArray(json)) {
    for (const element of json) {
      const found = findItem(element, value);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  for (const child of Object.values(json as Record<string, unknown>)) {
    if (typeof child === 'object' && child !== null) {
      const found = findItem(child, value);
      if (found !== undefined) return found;
    }
  }
  return Object.values(json as Record<string, unknown>).some((v) => (typeof v === 'string' || typeof v === 'number') && String(v) === value) ? json : undefined;
}

/** Counters, clocks and versions move on their own (a follow raises a count): they are no evidence of a write. */
const volatileKeys = /(count|total|updated|modified|last|seen|version|etag|timestamp|expires|nonce|requestid)/i;

/** The properties whose values differ between two snapshots, volatile ones left out. */
export function changedKeys(before: Snapshot, after: Snapshot): string[] {
  const stable = (s: Snapshot) => new Map(leaves(s.json).filter((l) => !volatileKeys.test(l.key)).map((l) => [l.path, l.value]));
  const a = stable(before);
  const b = stable(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((key) => a.get(key) !== b.get(key));
}

/**
 * What a write did to an object, as its owner sees it; undefined when nothing it did shows. With
 * `anyChange` false only deletion and the marker count: a POST action on someone else's object
 * (a like, a vote, a follow) changes it by design.
 */
export function writeEffect(before: Snapshot, after: Snapshot, marker?: string, anyChange = true): string | undefined {
  if (before.served && !after.served) return `the object is gone (the owner's read answered ${before.response?.status ?? '-'} before, ${after.response?.status ?? '-'} after)`;
  if (marker !== undefined && after.text.includes(marker) && !before.text.includes(marker)) return `the written marker ${marker.slice(0, 4)}… now shows in the owner's read`;
  if (marker !== undefined || !anyChange) return undefined;
  const changed = changedKeys(before, after);
  return changed.length > 0 ? `the owner's read changed in ${changed.slice(0, 5).join(', ')}` : undefined;
}
