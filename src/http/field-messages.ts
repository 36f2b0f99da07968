/**
 * One sentence per wrong field, in Paceline's words, naming what the field accepts (its values,
 * bounds or format). It is written from the field's schema and the value sent, never from the
 * validator's own messages, which speak of schemas ("must match a schema in anyOf") and repeat
 * themselves once per alternative of a union.
 */

export interface FieldSchema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: FieldSchema[];
  oneOf?: FieldSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
}

const formatNouns: Record<string, string> = {
  'date-time': 'a date-time in ISO 8601 (UTC)',
  date: 'a date in ISO 8601 (YYYY-MM-DD)',
  uuid: 'a UUID',
  email: 'an email address',
};

const characterClasses: [string, string][] = [
  ['A-Za-z', 'letters'],
  ['a-zA-Z', 'letters'],
  ['a-z', 'lower-case letters'],
  ['A-Z', 'upper-case letters'],
  ['0-9', 'digits'],
  ['_', 'underscores'],
  ['-', 'hyphens'],
  ['.', 'dots'],
];

function list(words: string[], conjunction: 'and' | 'or'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)}`;
}

function valueType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The allowed values of an enumeration, a union of literals or either of these with null. */
function literalChoices(schema: FieldSchema): unknown[] | null {
  if (schema.const !== undefined) return [schema.const];
  if (schema.enum) return schema.enum;
  if (schema.type === 'null') return [null];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (!alternatives) return null;
  const choices: unknown[] = [];
  for (const alternative of alternatives) {
    const found = literalChoices(alternative);
    if (!found) return null;
    choices.push(...found);
  }
  return choices;
}

function choicesSentence(choices: unknown[]): string {
  const named = choices.filter((choice) => choice !== null).map(String);
  if (named.length === 0) return 'must be null';
  const nullable = named.length < choices.length;
  if (named.length === 1) return `must be ${named[0]}${nullable ? ' or null' : ''}`;
  return `must be one of: ${named.join(', ')}${nullable ? ', or null' : ''}`;
}

function fitsType(schema: FieldSchema, value: unknown): boolean {
  const choices = literalChoices(schema);
  if (choices) return choices.some((choice) => valueType(choice) === valueType(value) || (typeof choice === 'number' && typeof value === 'number'));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.some((alternative) => fitsType(alternative, value));
  const actual = valueType(value);
  if (schema.type === undefined) return true;
  return schema.type === actual || (schema.type === 'number' && actual === 'integer');
}

function noun(schema: FieldSchema): string {
  const choices = literalChoices(schema);
  if (choices) return list(choices.map(String), 'or');
  switch (schema.type) {
    case 'string':
      return formatNouns[schema.format ?? ''] ?? 'a string';
    case 'integer':
    case 'number':
      return numberNoun(schema);
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    case 'null':
      return 'null';
    default:
      return 'a valid value';
  }
}

function bounds(min: number | undefined, max: number | undefined, unit: (n: number) => string): string {
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${unit(min)}` : `${min} to ${unit(max)}`;
  if (min !== undefined) return `at least ${unit(min)}`;
  if (max !== undefined) return `at most ${unit(max)}`;
  return '';
}

const characters = (n: number) => `${n} character${n === 1 ? '' : 's'}`;
const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
const properties = (n: number) => `${n} propert${n === 1 ? 'y' : 'ies'}`;

function lengthSentence(schema: FieldSchema): string {
  if (schema.minLength === 1 && schema.maxLength === undefined) return 'must not be empty';
  return `must be ${bounds(schema.minLength, schema.maxLength, characters)} long`;
}

interface ReadablePattern {
  min?: number;
  max?: number;
  /** What the characters may be, e.g. "letters, digits and underscores". */
  kinds: string;
}

/** Patterns of the shape `^[class]{m,n}$` or `^[class]+$`, read aloud; null for anything else. */
function readPattern(pattern: string): ReadablePattern | null {
  const match = /^\^\[([^\]]+)\](?:\{(\d+),(\d+)\}|\+)\$$/.exec(pattern);
  if (!match) return null;
  let rest = match[1]!;
  const kinds: string[] = [];
  while (rest.length > 0) {
    const known = characterClasses.find(([text]) => rest.startsWith(text));
    if (!known) return null;
    if (!kinds.includes(known[1])) kinds.push(known[1]);
    rest = rest.slice(known[0].length);
  }
  const kindsText = list(kinds, 'and');
  return match[2] === undefined ? { kinds: kindsText } : { min: Number(match[2]), max: Number(match[3]), kinds: kindsText };
}

function patternSentence(pattern: string): string {
  const readable = readPattern(pattern);
  if (!readable) return 'is not in the accepted format';
  const only = `contain only ${readable.kinds}`;
  return readable.min === undefined ? `must ${only}` : `must be ${bounds(readable.min, readable.max, characters)} long and ${only}`;
}

/** For a value that is not a string at all: the type, then whatever else the schema states. */
function stringTypeSentence(schema: FieldSchema): string {
  if (schema.format && formatNouns[schema.format]) return `must be ${formatNouns[schema.format]}`;
  const readable = schema.pattern ? readPattern(schema.pattern) : null;
  const min = schema.minLength ?? readable?.min;
  const max = schema.maxLength ?? readable?.max;
  const parts = ['must be a string'];
  if ((min !== undefined && min > 1) || max !== undefined) parts.push(`${bounds(min, max, characters)} long`);
  if (readable) parts.push(`containing only ${readable.kinds}`);
  return parts.join(', ');
}

function numberNoun(schema: FieldSchema): string {
  const kind = schema.type === 'integer' ? 'an integer' : 'a number';
  const { minimum: min, maximum: max, exclusiveMinimum: above, exclusiveMaximum: below } = schema;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  const limits = [
    min !== undefined ? `at least ${min}` : '',
    above !== undefined ? `greater than ${above}` : '',
    max !== undefined ? `at most ${max}` : '',
    below !== undefined ? `less than ${below}` : '',
  ].filter(Boolean);
  return limits.length === 0 ? kind : `${kind} ${list(limits, 'and')}`;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function stringSentence(schema: FieldSchema, value: unknown): string {
  const hasLength = schema.minLength !== undefined || schema.maxLength !== undefined;
  if (typeof value !== 'string') return stringTypeSentence(schema);
  const length = codePoints(value);
  if (hasLength && (length < (schema.minLength ?? 0) || length > (schema.maxLength ?? Infinity))) return lengthSentence(schema);
  if (schema.format) return `must be ${formatNouns[schema.format] ?? 'in the accepted format'}`;
  if (schema.pattern) return patternSentence(schema.pattern);
  return hasLength ? lengthSentence(schema) : 'must be a string';
}

function arraySentence(schema: FieldSchema, value: unknown): string {
  const count = bounds(schema.minItems, schema.maxItems, items);
  if (!Array.isArray(value)) return count ? `must be a list of ${count}` : 'must be a list';
  if (value.length < (schema.minItems ?? 0) || value.length > (schema.maxItems ?? Infinity)) return `must have ${count}`;
  if (schema.uniqueItems) return 'must not repeat an item';
  return 'is not valid';
}

function objectSentence(schema: FieldSchema, value: unknown): string {
  if (valueType(value) !== 'object') return 'must be an object';
  const count = bounds(schema.minProperties, schema.maxProperties, properties);
  return count ? `must have ${count}` : 'is not valid';
}

/** Why `value` does not fit `schema`, as one sentence that names what it accepts. */
export function describeMismatch(schema: FieldSchema, value: unknown): string {
  const choices = literalChoices(schema);
  if (choices) return choicesSentence(choices);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    // A nullable field sent with the right type: say what is wrong with that value.
    const fitting = alternatives.filter((alternative) => fitsType(alternative, value));
    if (fitting.length === 1) return describeMismatch(fitting[0]!, value);
    return `must be ${list(alternatives.map(noun), 'or')}`;
  }
  switch (schema.type) {
    case 'string':
      return stringSentence(schema, value);
    case 'integer':
    case 'number':
      return `must be ${numberNoun(schema)}`;
    case 'boolean':
      return 'must be true or false';
    case 'null':
      return 'must be null';
    case 'array':
      return arraySentence(schema, value);
    case 'object':
      return objectSentence(schema, value);
    default:
      return 'is not valid';
  }
}
