import type { AddressInfo } from 'node:net';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markerProperty, sampleBody, sampleRequestBody } from '../src/audit/sample.js';
import { type ApiSpec, loadSpec } from '../src/audit/spec.js';
import { openDataLayer, type DataLayer } from '../src/data/data-layer.js';
import { buildApp } from '../src/http/app.js';

/**
 * The auditor's request bodies must pass the target's validation, or a 400 would hide the
 * authorization decision under test. Checked against every request schema Paceline publishes,
 * with a strict JSON Schema validator, and against the shapes other specs use.
 */
const ajv = new Ajv.default({ strict: false, allErrors: true });
addFormats.default(ajv);

let data: DataLayer;
let app: Awaited<ReturnType<typeof buildApp>>;
let spec: ApiSpec;

beforeAll(async () => {
  data = openDataLayer('sqlite::memory:');
  await data.migrate();
  app = await buildApp({ data });
  await app.listen({ port: 0, host: '127.0.0.1' });
  spec = await loadSpec(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/openapi.json`);
});

afterAll(async () => {
  await app.close();
  await data.close();
});

describe('sampled request bodies', () => {
  it('satisfy every request schema Paceline publishes', () => {
    const withBodies = spec.operations.filter((op) => op.requestBody?.schema !== undefined);
    expect(withBodies.length).toBeGreaterThan(8);
    for (const op of withBodies) {
      const schema = op.requestBody?.schema as Record<string, unknown>;
      const body = sampleBody(schema);
      expect(ajv.validate(schema, body), `${op.method} ${op.path}: ${ajv.errorsText()} in ${JSON.stringify(body)}`).toBe(true);
    }
  });

  it.each([
    ['allOf, oneOf with null, nested objects and arrays', {
      allOf: [
        { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 3, maxLength: 8 } } },
        { type: 'object', required: ['tags', 'address'], properties: { tags: { type: 'array', minItems: 2, items: { type: 'string', enum: ['a', 'b'] } }, address: { type: 'object', required: ['zip'], properties: { zip: { type: 'string', pattern: '^[0-9]{4,5}$' } } } } },
      ],
      properties: { note: { oneOf: [{ type: 'null' }, { type: 'string' }] } },
      required: ['note'],
    }],
    ['numbers with exclusive bounds, formats and const', {
      type: 'object',
      required: ['count', 'ratio', 'when', 'day', 'contact', 'kind'],
      properties: { count: { type: 'integer', exclusiveMinimum: 4, maximum: 9 }, ratio: { type: 'number', minimum: 0.5, maximum: 0.75 }, when: { type: 'string', format: 'date-time' }, day: { type: 'string', format: 'date' }, contact: { type: 'string', format: 'email' }, kind: { const: 'ride' } },
    }],
    ['minProperties with nothing required', { type: 'object', minProperties: 1, additionalProperties: false, properties: { title: { type: 'string', maxLength: 20 } } }],
  ])('satisfy %s', (_name, schema) => {
    const body = sampleBody(schema);
    expect(ajv.validate(schema, body), `${ajv.errorsText()} in ${JSON.stringify(body)}`).toBe(true);
  });

  it('fill every listed property when the schema names none as required, except for a PATCH', () => {
    const schema = { type: 'object', properties: { username: { type: 'string', example: 'John.Doe' }, age: { type: 'integer', example: 42 } } };
    const full = sampleRequestBody({ method: 'POST', requestBody: { contentType: 'application/json', required: true, schema } }) as Record<string, unknown>;
    expect(Object.keys(full).sort()).toEqual(['age', 'username']);
    // A string example would repeat across sign-ups; other examples are kept.
    expect(full.username).not.toBe('John.Doe');
    expect(full.age).toBe(42);
    expect(sampleRequestBody({ method: 'PATCH', requestBody: { contentType: 'application/json', required: true, schema } })).toEqual({});
  });

  it('are unique each time, so a write can be recognised when read back', () => {
    const schema = { type: 'object', required: ['title'], properties: { title: { type: 'string' } } };
    expect(sampleBody(schema)).not.toEqual(sampleBody(schema));
    expect(markerProperty(schema)).toBe('title');
    expect(markerProperty({ type: 'object', properties: { email: { type: 'string' }, kind: { type: 'string', enum: ['a'] }, ownerId: { type: 'string' } } })).toBeUndefined();
  });
});
