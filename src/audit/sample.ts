import { randomBytes } from 'node:crypto';
import type { Operation, Schema } from './spec.js';

/**
 * Request bodies made from a spec's schemas. An authorization probe must pass validation first,
 * or a 400 would hide the decision under test: so every value honours the schema's type, enum,
 * format, length and range, and properties the schema requires are always present.
 */

/** Looked up for properties that name an object (`classId`, `noteIds`): a real id beats a made-up one. */
export type ReferenceLookup = (property: string) => string | undefined;

export interface SampleOptions {
  /** Properties to set beyond the required ones, with their values as given. */
  set?: Record<string, unknown>;
  references?: ReferenceLookup;
  /**
   * Only what the schema requires (a PATCH). Otherwise an object schema that lists properties but
   * says nothing of which are required gets them all: such specs are incomplete more often than
   * their servers are lenient.
   */
  partial?: boolean;
}

/** Nested schemas deeper than this are cut short; cyclic `$ref`s would otherwise never end. */
const maxDepth = 6;

/** A short, lower-case, unique string: fits patterns like `^[a-z0-9_]{3,30}$` and is easy to spot in an answer. */
export function newMarker(): string {
  return `pa${randomBytes(5).toString('hex')}`;
}

/** The body for an operation: partial for a PATCH, complete otherwise (see `SampleOptions.partial`). */
export function sampleRequestBody(op: Pick<Operation, 'method' | 'requestBody'>, options: SampleOptions = {}): unknown {
  return op.requestBody === undefined ? undefined : sampleBody(op.requestBody.schema, { partial: op.method === 'PATCH', ...options });
}

/** A body for `schema`: its required properties (and `minProperties` more), plus `options.set`. */
export function sampleBody(schema: Schema | undefined, options: SampleOptions = {}): unknown {
  const resolved = schema === undefined ? undefined : flatten(schema);
  if (resolved !== undefined && typeOf(resolved) !== 'object') return sampleValue(resolved, '', options, 0);
  const body = (resolved === undefined ? {} : sampleValue(resolved, '', options, 0)) as Record<string, unknown>;
  return { ...body, ...(options.set ?? {}) };
}

/** The properties of an object schema (allOf merged, the first non-null alternative taken). */
export function propertiesOf(schema: Schema | undefined): Record<string, Schema> {
  if (schema === undefined) return {};
  const resolved = flatten(schema);
  return isRecord(resolved.properties) ? (resolved.properties as Record<string, Schema>) : {};
}

/**
 * A property a marker string can be written to and read back from: a plain string with no enum,
 * format or pattern, not a reference and not a secret, whose length limits fit the marker.
 */
export function markerProperty(schema: Schema | undefined): string | undefined {
  for (const [name, raw] of Object.entries(propertiesOf(schema))) {
    const property = flatten(raw);
    if (typeOf(property) !== 'string' || property.enum !== undefined || property.const !== undefined) continue;
    if (property.format !== undefined || property.pattern !== undefined || property.readOnly === true) continue;
    if (/(id|ids)$/i.test(name) || /pass|secret|token|key|email|url|uri/i.test(name)) continue;
    const max = typeof property.maxLength === 'number' ? property.maxLength : Number.POSITIVE_INFINITY;
    const min = typeof property.minLength === 'number' ? property.minLength : 0;
    if (max >= 12 && min <= 12) return name;
  }
  return undefined;
}

/** The type a schema describes: its `type` (the first non-null one of a list), or what its keywords imply. */
export function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  if (isRecord(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

/** allOf merged into one schema; anyOf/oneOf narrowed to their first alternative that is not `null`. */
export function flatten(schema: Schema, depth = 0): Schema {
  if (depth > maxDepth) return schema;
  const alternatives = (Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined) as Schema[] | undefined;
  if (alternatives !== undefined) {
    const chosen = alternatives.find((alt) => isRecord(alt) && flatten(alt, depth + 1).type !== 'null') ?? alternatives[0];
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    return chosen === undefined ? rest : flatten({ ...rest, ...flatten(chosen, depth + 1) }, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    const parts = (allOf as Schema[]).filter(isRecord).map((part) => flatten(part, depth + 1));
    const merged: Record<string, unknown> = { ...rest };
    for (const part of parts) {
      for (const [key, value] of Object.entries(part)) {
        if (key === 'properties') merged.properties = { ...(merged.properties as object), ...(value as object) };
        else if (key === 'required') merged.required = [...((merged.required as unknown[]) ?? []), ...(value as unknown[])];
        else if (merged[key] === undefined) merged[key] = value;
      }
    }
    return merged;
  }
  return schema;
}

/** A query or header parameter's value: the same rules as a body property's, as text. */
export function sampleParameter(schema: Schema | undefined, name: string): string {
  const value = sampleValue(schema ?? { type: 'string' }, name, {}, maxDepth);
  return typeof value === 'object' && value !== null ? (Array.isArray(value) ? value.map(String).join(',') : '') : String(value);
}

function sampleValue(raw: Schema, name: string, options: SampleOptions, depth: number): unknown {
  const schema = flatten(raw);
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum.find((v) => v !== null) ?? schema.enum[0];
  const type = typeOf(schema) ?? (typeof schema.example === 'string' ? 'string' : undefined);
  // Strings are made unique (a second sign-up with the spec's example name would be refused);
  // other examples and defaults are good values as they are.
  if (type !== 'string' && type !== 'object' && type !== 'array') {
    if (schema.example !== undefined && !/(id|ids)$/i.test(name)) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
    if (schema.default !== undefined) return schema.default;
  }
  switch (type) {
    case 'object':
      return depth >= maxDepth ? {} : sampleObject(schema, options, depth);
    case 'array':
      return depth >= maxDepth ? [] : sampleArray(schema, name, options, depth);
    case 'integer':
      return sampleNumber(schema, true);
    case 'number':
      return sampleNumber(schema, false);
    case 'boolean':
      return false;
    default:
      return sampleString(schema, name, options);
  }
}

function sampleObject(schema: Schema, options: SampleOptions, depth: number): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
  const declared = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : undefined;
  const writable = Object.keys(properties).filter((key) => (properties[key] as Schema).readOnly !== true);
  const required = new Set(declared ?? (options.partial ? [] : writable));
  const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
  // Required names the schema forgot to describe are sent as strings rather than left out.
  const chosen = [...Object.keys(properties).filter((key) => required.has(key)), ...[...required].filter((key) => !(key in properties))];
  for (const key of Object.keys(properties)) {
    if (chosen.length >= minProperties) break;
    if (!chosen.includes(key) && (properties[key] as Schema).readOnly !== true) chosen.push(key);
  }
  const body: Record<string, unknown> = {};
  for (const key of chosen) body[key] = sampleValue(properties[key] ?? { type: 'string' }, key, options, depth + 1);
  return body;
}

function sampleArray(schema: Schema, name: string, options: SampleOptions, depth: number): unknown[] {
  const items = isRecord(schema.items) ? (schema.items as Schema) : {};
  const count = Math.max(1, typeof schema.minItems === 'number' ? schema.minItems : 0);
  const values: unknown[] = [];
  const itemName = name.replace(/s$/, '');
  for (let i = 0; i < count; i++) values.push(sampleValue(items, itemName, options, depth + 1));
  return values;
}

function sampleNumber(schema: Schema, integer: boolean): number {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : Number.POSITIVE_INFINITY;
  const value = Math.min(Math.max(minimum, 1), maximum);
  return integer ? Math.ceil(value) : value;
}

function sampleString(schema: Schema, name: string, options: SampleOptions): string {
  const reference = /(id|Id|ID|_id)$/.test(name) ? options.references?.(name) : undefined;
  if (reference !== undefined) return reference;
  switch (schema.format) {
    case 'date-time':
      return new Date().toISOString();
    case 'date':
      return '1990-01-01';
    case 'time':
      return '12:00:00';
    case 'email':
    case 'idn-email':
      return `${newMarker()}@example.test`;
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'uri':
    case 'url':
      return 'https://example.test/';
    case 'ipv4':
      return '192.0.2.1';
    default:
      break;
  }
  let text = newMarker();
  if (/email/i.test(name)) return `${newMarker()}@example.test`;
  // Long, mixed and unique: passes length rules, character-class rules and common-password lists.
  if (/pass|pwd/i.test(name)) text = `Pa-${randomBytes(6).toString('hex')}-${randomBytes(6).toString('hex')}!9`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
  if (typeof schema.pattern === 'string') text = matchingPattern(schema.pattern, text, schema.example) ?? text;
  if (text.length < min) text = text.padEnd(min, '0');
  return text.slice(0, Math.max(min, Math.min(max, text.length)));
}

/** A few common shapes tried against a `pattern`; undefined when none fits. */
function matchingPattern(pattern: string, marker: string, example: unknown): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  const candidates = [marker, marker.toUpperCase(), marker.replace(/[^0-9]/g, '1'), ...(typeof example === 'string' ? [example] : []), 'Paceline1', 'aaaa', '0000', 'a-b', 'AB12'];
  return candidates.find((candidate) => regex.test(candidate));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
