import type { HarvestedObject } from './checks/context.js';
import { propertiesOf } from './sample.js';
import type { Operation, Parameter, Schema } from './spec.js';

/**
 * How the auditor connects producers to consumers: a value harvested under one name is offered to
 * every parameter or body property that names the same kind of object. A kind is a normalized
 * noun (`userId`, `user_id`, `{id}` under `/users` → `user`), an exact name for parameters that
 * follow no convention (`{book_title}` ← `book_title`), or an OpenAPI link aimed at one parameter.
 */

/** Path segments that say "the caller's own": their answers belong to the caller. */
export const selfSegments = new Set(['me', 'self', 'my', 'current', 'mine', 'whoami']);

export function singular(word: string): string {
  const lower = word.toLowerCase();
  if (lower.endsWith('ies')) return `${lower.slice(0, -3)}y`;
  if (lower.endsWith('sses') || lower.endsWith('xes')) return lower.slice(0, -2);
  if (lower.endsWith('ss')) return lower;
  return lower.endsWith('s') ? lower.slice(0, -1) : lower;
}

/** The kind of object a property or parameter name refers to, or undefined if it is no reference. */
export function referenceKind(name: string, container: string): string | undefined {
  if (name === 'username' || name === 'user_name' || name === 'userName') return 'username';
  if (name === 'id' || name === '_id' || name === 'uuid') return container === '' ? undefined : singular(container);
  const match = /^(.+?)(?:Id|_id|ID|Uuid|_uuid)$/.exec(name);
  return match?.[1] ? singular(match[1]) : undefined;
}

/** A list of references in a body: `noteIds`, `note_ids` → `note`. */
export function referenceListKind(name: string): string | undefined {
  const match = /^(.+?)(?:Ids|_ids|IDs)$/.exec(name);
  return match?.[1] ? singular(match[1]) : undefined;
}

/** The kind a parameter name that follows no convention is matched by: its exact, normalized name. */
export function nameKind(name: string): string {
  return `name:${name.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
}

/** How a finding names an object: its kind (`workout`), or the parameter that took it when the kind is a match rule's (`book_title`). */
export function objectLabel(kind: string, parameter: string): string {
  return kind.includes(':') ? parameter : kind;
}

/** The kind a single-parameter read accepts by the shape of what it answers (see `consumerShapes`). */
export function shapeKind(op: Pick<Operation, 'operationId'>, parameter: string): string {
  return `shape:${op.operationId}:${parameter}`;
}

export function linkKind(operationId: string, parameter: string): string {
  return `link:${operationId}:${parameter.replace(/^(path|query|header|cookie)\./, '')}`;
}

/** The object kind an operation's own `id`s denote: the last static segment, "me" meaning a user. */
export function pathKind(op: Pick<Operation, 'path'>): string {
  const segments = op.path.split('/').filter((s) => s !== '' && !s.startsWith('{'));
  const last = segments[segments.length - 1] ?? '';
  return selfSegments.has(last.toLowerCase()) ? 'user' : singular(last);
}

export function isSelfPath(op: Pick<Operation, 'path'>): boolean {
  return op.path.split('/').some((s) => selfSegments.has(s.toLowerCase()));
}

/**
 * Parameters naming an object: every path parameter (a path segment almost always does), and
 * query parameters whose names say so (`userId`, `id`), never `q`, `limit` or `cursor`.
 */
export function referenceParameters(op: Operation): Parameter[] {
  return op.parameters.filter((p) => p.in === 'path' || (p.in === 'query' && parameterKind(op, p) !== undefined));
}

/** `{id}` takes its kind from the segment before it (`/workouts/{id}` → workout), `?id=` from the path's last (`/orders?id=` → order). */
export function parameterKind(op: Operation, parameter: Parameter): string | undefined {
  if (parameter.name === 'id') {
    const segments = op.path.split('/');
    const index = segments.indexOf('{id}');
    const container = parameter.in === 'path' ? (index > 0 ? (segments[index - 1] ?? '') : '') : pathKind(op);
    const kind = referenceKind('id', container);
    if (kind !== undefined || parameter.in !== 'path') return kind;
  }
  const kind = referenceKind(parameter.name, '');
  return kind ?? (parameter.in === 'path' ? nameKind(parameter.name) : undefined);
}

/** Every kind a parameter accepts: its own, its exact name (`owns: { id: [...] }`), and the links and URLs aimed at it. */
export function acceptedKinds(op: Operation, parameter: Parameter): string[] {
  const kind = parameterKind(op, parameter);
  const own = kind === undefined ? [] : [kind];
  return [...new Set([...own, nameKind(parameter.name), linkKind(op.operationId, parameter.name), shapeKind(op, parameter.name), urlKind(op.path, parameter.name)])];
}

/** The kind of a value found in a URL inside an answer (`"href": "/docs/abc"` for `/docs/{docKey}`). */
export function urlKind(template: string, parameter: string): string {
  return `url:${template}:${parameter}`;
}

/** A spec path with parameters, as a pattern that finds their values in a URL path. */
export interface PathTemplate {
  template: string;
  pattern: RegExp;
  parameters: string[];
}

export function pathTemplates(operations: readonly Operation[]): PathTemplate[] {
  const templates = new Map<string, PathTemplate>();
  for (const { path } of operations) {
    const parameters = [...path.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1] as string);
    if (parameters.length === 0 || templates.has(path)) continue;
    const source = path.split(/\{[^}/]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('([^/]+)');
    templates.set(path, { template: path, pattern: new RegExp(`^${source}/?$`), parameters });
  }
  return [...templates.values()];
}

/**
 * The references in a hypermedia link (`/docs/abc`, or an absolute URL on the target): the
 * parameter values of every spec path it matches, once the target's own path prefix is removed.
 */
export function referencesInUrl(text: string, target: URL, templates: readonly PathTemplate[]): { kind: string; value: string }[] {
  let pathname: string;
  if (text.startsWith('/') && !text.startsWith('//')) pathname = text.split(/[?#]/)[0] ?? '';
  else if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      if (url.origin !== target.origin) return [];
      pathname = url.pathname;
    } catch {
      return [];
    }
  } else return [];
  const prefix = target.pathname.replace(/\/+$/, '');
  if (prefix !== '' && pathname.startsWith(`${prefix}/`)) pathname = pathname.slice(prefix.length);
  const found: { kind: string; value: string }[] = [];
  for (const { template, pattern, parameters } of templates) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    parameters.forEach((parameter, index) => {
      const raw = match[index + 1];
      if (raw === undefined) return;
      try {
        found.push({ kind: urlKind(template, parameter), value: decodeURIComponent(raw) });
      } catch {
        // A malformed escape names nothing.
      }
    });
  }
  return found;
}

/** The harvested objects a parameter can take, the values fitting its schema (a uuid where a uuid is due). */
export function objectsForParameter(objects: readonly HarvestedObject[], op: Operation, parameter: Parameter): HarvestedObject[] {
  const kinds = new Set(acceptedKinds(op, parameter));
  const seen = new Set<string>();
  // One value may arrive under several kinds (`userId` as user and by name): it is one object.
  return objects.filter((o) => kinds.has(o.kind) && fitsSchema(o.value, parameter.schema) && !seen.has(o.value) && seen.add(o.value) !== undefined);
}

/** Whether a value has the shape the schema asks for; a mismatch would only earn a 400. */
export function fitsSchema(value: string, schema: Schema | undefined): boolean {
  if (schema === undefined) return true;
  const type = schema.type;
  if (type === 'integer') return /^-?\d+$/.test(value);
  if (type === 'number') return value.trim() !== '' && Number.isFinite(Number(value));
  if (schema.format === 'uuid') return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  if (typeof schema.pattern === 'string') {
    try {
      return new RegExp(schema.pattern, 'u').test(value);
    } catch {
      return true;
    }
  }
  return true;
}

/** A read taking one object by path, and the properties its answer declares. */
export interface ConsumerShape {
  kind: string;
  properties: ReadonlySet<string>;
}

/**
 * Matching by schema shape: a GET with one path parameter whose success answer declares an
 * object with at least two properties. An object of that shape met in any other answer (a list
 * item, say) is one such read can take, by its `id`, whatever the parameter is called.
 */
export function consumerShapes(operations: readonly Operation[]): ConsumerShape[] {
  const shapes: ConsumerShape[] = [];
  for (const op of operations) {
    const path = op.parameters.filter((p) => p.in === 'path');
    if (op.method !== 'GET' || path.length !== 1 || !path[0]) continue;
    const response = op.responses['200'] ?? op.responses['201'] ?? op.responses.default;
    const properties = Object.keys(propertiesOf(response?.schema));
    if (properties.length >= 2) shapes.push({ kind: shapeKind(op, path[0].name), properties: new Set(properties) });
  }
  return shapes;
}

/** The shapes an object fits: it has most (four in five) of the declared properties. */
export function fittingShapes(shapes: readonly ConsumerShape[], keys: readonly string[]): ConsumerShape[] {
  return shapes.filter((shape) => keys.filter((k) => shape.properties.has(k)).length >= Math.ceil(shape.properties.size * 0.8));
}
