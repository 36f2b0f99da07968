import { randomUUID } from 'node:crypto';
import type { JsonSchema } from './openapi-operations.js';

/** Values the examples draw on: ids of real objects, so requests reach the data layer. */
export interface ExampleContext {
  ids: Record<string, string>;
  /** A fresh number each call, for values that must be unique (usernames, emails). */
  next(): number;
}

/**
 * Values for properties whose meaning a schema cannot tell. Passwords are always wrong ones: a
 * right one could delete or re-key the member the suite signs in as.
 */
const byName: Record<string, (context: ExampleContext) => unknown> = {
  username: (context) => `fuzz_${context.next()}`,
  email: (context) => `fuzz_${context.next()}@example.test`,
  login: () => 'nobody_by_that_name',
  password: () => 'not the right password 1',
  currentPassword: () => 'not the right password 1',
  newPassword: () => 'a fresh and unusual passphrase 93',
  reason: () => 'Checking a reported problem with this account',
  'x-access-reason': () => 'Checking a reported problem with this account',
};

function literals(schema: JsonSchema): unknown[] | null {
  if (schema.const !== undefined) return [schema.const];
  if (schema.enum) return schema.enum;
  if (!schema.anyOf) return null;
  const all = schema.anyOf.map(literals);
  return all.every((values) => values !== null) ? all.flat() : null;
}

/** A value the schema accepts, built from real fixture ids where a property names one. */
export function example(schema: JsonSchema, name: string, context: ExampleContext): unknown {
  const named = byName[name];
  if (named) return named(context);
  const choices = literals(schema);
  if (choices) return choices.find((choice) => choice !== null) ?? null;
  if (schema.anyOf) return example(schema.anyOf.find((alternative) => alternative.type !== 'null') ?? schema.anyOf[0]!, name, context);
  switch (schema.type) {
    case 'string':
      return stringExample(schema, name, context);
    case 'integer':
    case 'number':
      return schema.default ?? Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 5, 5));
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 1, 1) }, () => example(schema.items ?? {}, name, context));
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, property]) => [key, example(property, key, context)]));
    default:
      return null;
  }
}

function stringExample(schema: JsonSchema, name: string, context: ExampleContext): string {
  switch (schema.format) {
    case 'uuid':
      return context.ids[name] ?? randomUUID();
    case 'date-time':
      return '2024-03-01T07:30:00Z';
    case 'date':
      return '1990-04-01';
    case 'email':
      return `fuzz_${context.next()}@example.test`;
  }
  if (schema.pattern) return name === 'q' ? 'fu' : 'fuzz';
  return 'Fuzz value'.padEnd(schema.minLength ?? 0, '.').slice(0, schema.maxLength ?? 100);
}

/** The JSON types a schema accepts. */
export function acceptedTypes(schema: JsonSchema): Set<string> {
  if (schema.anyOf) return new Set(schema.anyOf.flatMap((alternative) => [...acceptedTypes(alternative)]));
  if (schema.type === 'integer') return new Set(['integer', 'number']);
  return new Set(schema.type ? [schema.type] : []);
}

/** Values of the wrong JSON type for a schema, including look-alikes a lax server would coerce. */
export function wrongTypeValues(schema: JsonSchema): unknown[] {
  const accepted = acceptedTypes(schema);
  const candidates: [string, unknown][] = [
    ['string', '70'],
    ['number', 70],
    ['boolean', false],
    ['null', null],
    ['array', ['x']],
    ['object', { $gt: '' }],
  ];
  const wrong = candidates.filter(([type]) => !accepted.has(type)).map(([, value]) => value);
  return schema.type === 'integer' ? [1.5, ...wrong] : wrong;
}
