import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { JsonSchema, Operation } from './openapi-operations.js';
import { type ExampleContext, acceptedTypes, example, wrongTypeValues } from './schema-examples.js';

export interface HostileRequest {
  label: string;
  /** True where any server must refuse the request (a 4xx); false where it may well be valid. */
  mustRefuse: boolean;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** One request before it is written out: path values and query pairs are already URL-encoded. */
interface Shape {
  path: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body?: unknown;
  raw?: string | Buffer;
  /** For `raw`: the content type, or null for none. */
  contentType?: string | null;
}

export interface HostileContext extends ExampleContext {
  /** A cursor the server really issued, to tamper with. */
  cursor: string;
  seed: number;
}

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Bytes as %XX escapes: any byte sequence, valid UTF-8 or not, as a URL component. */
const percentEncoded = (bytes: Uint8Array) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');

const badPathValues = [
  '123',
  'not-a-uuid',
  '00000000-0000-0000-0000-00000000000g',
  '..%2f..',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%00',
  '%ED%A0%80',
  '%E0%A4%A',
  "1'%20OR%20'1'%3D'1",
  '%20',
  'a'.repeat(300),
];

/** Values that look like the format but that no Date holds as written (leap seconds, 30 February). */
const formatEdges: Record<string, string[]> = {
  'date-time': ['2016-12-31T23:59:60Z', '2016-12-31T22:59:60-01:00', '2021-02-30T00:00:00Z', '0000-01-01T00:00:00+01:00', '9999-12-31T23:59:59-23:59', '2021-01-01T24:00:00Z'],
  date: ['2021-02-29', '2021-13-01', '2021-00-10'],
};

const badQueryValues = ['abc', '1.5', '-1', '0', '101', '1e2', '', '%00', '%ED%A0%80', '%FF', '%E0%A4%A', 'a'.repeat(400), '%5B%5D', '%7B%7D'];

const contentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/json-patch+json',
  'application/jsonx',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;',
  'x'.repeat(300),
];

function tamperedCursors(cursor: string): string[] {
  const flipped = cursor.slice(0, -1) + (cursor.endsWith('A') ? 'B' : 'A');
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  // Well-formed keys of every list's shape (an id, a username, a time and id), impossible ones too.
  const otherShapes = [randomUUID(), 'zzz_member', '9999-99-99T99:99:99.999Z|00000000-0000-4000-8000-000000000000', `2024-01-01T00:00:00.000Z|${randomUUID()}`].map(encode);
  return [flipped, cursor.slice(1), `${cursor}${cursor}`, 'AA', 'x', encode('{"id":"1 OR 1=1"}'), encode("' OR 1=1 --"), 'A'.repeat(300), ...otherShapes];
}

function write(operation: Operation, label: string, shape: Shape, mustRefuse: boolean): HostileRequest {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => shape.path[name] ?? '');
  const query = shape.query.map(([name, value]) => `${name}=${value}`).join('&');
  const headers = { ...shape.headers };
  let payload: string | Buffer | undefined;
  if (shape.raw !== undefined) {
    payload = shape.raw;
    if (shape.contentType !== null) headers['content-type'] = shape.contentType ?? 'application/json';
  } else if (shape.body !== undefined) {
    payload = JSON.stringify(shape.body);
    headers['content-type'] = 'application/json';
  }
  return { label, mustRefuse, method: operation.method, url: query ? `${path}?${query}` : path, headers, ...(payload !== undefined ? { payload } : {}) };
}

function sample<T>(arbitrary: fc.Arbitrary<T>, seed: number, count: number): T[] {
  return fc.sample(arbitrary, { seed, numRuns: count });
}

/**
 * Hostile variations of one operation, each a single change to a request that would otherwise be
 * valid (real ids in the path, a schema-valid body), so that every variation reaches the layer it
 * aims at. Deterministic for a given seed.
 */
export function hostileRequests(operation: Operation, context: HostileContext): HostileRequest[] {
  const base: Shape = {
    path: Object.fromEntries(operation.pathParams.map((p) => [p.name, context.ids[p.name] ?? String(example(p.schema, p.name, context))])),
    query: operation.queryParams.filter((p) => p.required).map((p) => [p.name, encodeURIComponent(String(example(p.schema, p.name, context)))]),
    headers: Object.fromEntries(operation.headerParams.map((p) => [p.name, String(example(p.schema, p.name, context))])),
    ...(operation.body ? { body: example(operation.body, '', context) } : {}),
  };
  const requests: HostileRequest[] = [write(operation, 'as specified', base, false)];
  const add: Add = (label, change, mustRefuse = false) => requests.push(write(operation, label, { ...base, ...change }, mustRefuse));
  let seed = context.seed;

  if (operation.body) addBodyCases(operation.body, base, add, context, () => seed++);
  else addBodylessCases(operation, add);

  for (const parameter of operation.pathParams) {
    const random = sample(fc.uint8Array({ minLength: 1, maxLength: 16 }), seed++, 3).map(percentEncoded);
    for (const value of [...badPathValues, randomUUID(), ...random]) add(`path ${parameter.name} = ${value.slice(0, 40)}`, { path: { ...base.path, [parameter.name]: value } }, true);
  }

  if (operation.queryParams.length > 0) {
    for (const parameter of operation.queryParams) {
      const others = base.query.filter(([name]) => name !== parameter.name);
      const random = sample(fc.uint8Array({ minLength: 1, maxLength: 16 }), seed++, 2).map(percentEncoded);
      const values = [...badQueryValues, ...random, ...(parameter.name === 'cursor' ? tamperedCursors(context.cursor) : [])];
      for (const value of values) add(`query ${parameter.name} = ${value.slice(0, 40)}`, { query: [...others, [parameter.name, value]] });
      for (const value of formatEdges[parameter.schema.format ?? ''] ?? []) add(`query ${parameter.name} = ${value}`, { query: [...others, [parameter.name, encodeURIComponent(value)]] }, true);
      add(`query ${parameter.name} repeated`, { query: [...base.query, [parameter.name, '1'], [parameter.name, '2']] });
    }
    for (const extra of [['admin', 'true'], ['__proto__', 'x'], ['constructor%5Bprototype%5D%5Brole%5D', 'admin'], ['limit%5B%5D', '1']] as [string, string][]) {
      add(`query with ${extra[0]}`, { query: [...base.query, extra] }, true);
    }
  } else {
    add('query where none is taken', { query: [['x', '1']] }, true);
    add('query __proto__ where none is taken', { query: [['__proto__%5Brole%5D', 'admin']] }, true);
  }
  add('query over the URL limit', { query: [...base.query, ['q', 'x'.repeat(5_000)]] }, true);

  add('oversized header', { headers: { ...base.headers, 'x-padding': 'p'.repeat(20_000) } });
  add('spoofed forwarding headers', { headers: { ...base.headers, 'x-forwarded-for': '10.0.0.1', 'x-request-id': 'chosen-by-client' } });
  for (const authorization of ['Basic Zm9vOmJhcg==', `Bearer ${'A'.repeat(5_000)}`, `Bearer pls_${'x'.repeat(43)}`, 'Bearer', 'Bearer a b']) {
    add(`authorization ${authorization.slice(0, 20)}`, { headers: { ...base.headers, authorization } }, true);
  }
  for (const parameter of operation.headerParams) {
    const { [parameter.name]: _, ...without } = base.headers;
    add(`header ${parameter.name} missing`, { headers: without }, true);
    for (const value of ['short', 'r'.repeat(600), 'x'.repeat(20_000)]) add(`header ${parameter.name} = ${value.slice(0, 20)}`, { headers: { ...base.headers, [parameter.name]: value } }, true);
    add(`header ${parameter.name} = spaces`, { headers: { ...base.headers, [parameter.name]: ' '.repeat(12) } });
  }
  return requests;
}

type Add = (label: string, change: Partial<Shape>, mustRefuse?: boolean) => void;

function addBodyCases(schema: JsonSchema, base: Shape, add: Add, context: HostileContext, nextSeed: () => number): void {
  const body = base.body as Record<string, unknown>;
  const text = JSON.stringify(body);
  const properties = Object.entries(schema.properties ?? {});
  const stringProperties = properties.filter(([, property]) => acceptedTypes(property).has('string')).map(([name]) => name);
  const first = properties[0]?.[0] ?? 'x';
  const raw = (label: string, payload: string | Buffer, mustRefuse: boolean, contentType?: string | null) =>
    add(label, { raw: payload, ...(contentType !== undefined ? { contentType } : {}) }, mustRefuse);

  for (const [name, property] of properties) {
    for (const value of wrongTypeValues(property).slice(0, 4)) add(`body ${name} = ${JSON.stringify(value)}`, { body: { ...body, [name]: value } }, true);
    for (const value of formatEdges[formatOf(property)] ?? []) add(`body ${name} = ${value}`, { body: { ...body, [name]: value } }, true);
    if (acceptedTypes(property).has('number')) {
      for (const value of ['1e308', '-1e308', '-0', '0.30000000000000004', '12345678901234567890', '1e-400']) {
        raw(`body ${name} = ${value}`, `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"${name}":${value}}`, false);
      }
    }
    for (const value of sample(fc.jsonValue({ maxDepth: 2 }), nextSeed(), 2)) add(`body ${name} = random JSON`, { body: { ...body, [name]: value } });
    if (property.type === 'object') {
      raw(`body ${name} with __proto__`, `${text.slice(0, -1)},"${name}":{"__proto__":{"role":"admin"}}}`, true);
    }
  }
  for (const name of schema.required ?? []) {
    const { [name]: _, ...without } = body;
    add(`body without ${name}`, { body: without }, true);
  }
  for (const extra of [{ role: 'admin' }, { userId: context.ids.userId }, { id: randomUUID() }, { isAdmin: true }]) {
    add(`body with ${Object.keys(extra)[0]}`, { body: { ...body, ...extra } }, true);
  }
  for (const name of stringProperties) {
    for (const value of ['a\u0000b', 'y'.repeat(60_000)]) add(`body ${name} = ${JSON.stringify(value.slice(0, 10))}`, { body: { ...body, [name]: value } }, true);
    for (const value of ['\ud800', 'x\udfffy']) add(`body ${name} = ${JSON.stringify(value)}`, { body: { ...body, [name]: value } });
    for (const value of sample(fc.string({ unit: 'binary', maxLength: 40 }), nextSeed(), 2)) add(`body ${name} = random text`, { body: { ...body, [name]: value } });
  }
  add('body with a 1 MiB string', { body: { ...body, [stringProperties[0] ?? first]: 'x'.repeat(1 << 20) } }, true);
  const comma = text.length > 2 ? ',' : '';
  raw('body nested 4,000 deep', deepArray(4_000), true);
  raw(`body ${first} nested 4,000 deep`, `{"${first}":${deepObject(4_000)}}`, true);
  raw(`body ${first} duplicated (last wrong)`, `${text.slice(0, -1)}${comma}"${first}":{"dup":true}}`, true);
  raw(`body ${first} duplicated (first wrong)`, `{"${first}":{"dup":true}${comma}${text.slice(1)}`, false);
  raw('body with __proto__', `{"__proto__":{"role":"admin"}${comma}${text.slice(1)}`, true);
  raw('body with constructor.prototype', `{"constructor":{"prototype":{"role":"admin"}}${comma}${text.slice(1)}`, true);
  for (const contentType of contentTypes) raw(`content type ${contentType.slice(0, 30)}`, text, !/json/i.test(contentType), contentType);
  raw('body without a content type', text, true, null);
  for (const payload of ['[]', '"x"', '42', 'null', 'true', '', '{', '{"a":1}}']) raw(`body ${JSON.stringify(payload)}`, payload, true);
  raw('body with a byte-order mark', '\ufeff{}', false);
  const name = stringProperties[0] ?? first;
  raw('body with invalid UTF-8', Buffer.concat([Buffer.from(`{"${name}":"`), Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from('"}')]), false);
  for (const value of sample(fc.jsonValue({ maxDepth: 4 }), nextSeed(), 4)) add('body random JSON', { body: value });
}

function addBodylessCases(operation: Operation, add: Add): void {
  add('a body where none is taken', { body: { x: 1 } }, true);
  add('a deep body where none is taken', { raw: deepArray(4_000) }, true);
  add('a __proto__ body where none is taken', { raw: '{"__proto__":{"role":"admin"}}' }, true);
  add('a text body where none is taken', { raw: 'x', contentType: 'text/plain' }, true);
}

function formatOf(schema: JsonSchema): string {
  return schema.format ?? schema.anyOf?.map(formatOf).find(Boolean) ?? '';
}
