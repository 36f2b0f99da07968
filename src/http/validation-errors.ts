import type { FastifyError } from 'fastify';
import type { FieldError } from '../errors.js';
import { type FieldSchema, describeMismatch } from './field-messages.js';

/** An Ajv error as reported with `verbose: true`: the failing schema and value come along. */
type AjvError = {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  parentSchema?: FieldSchema;
  data?: unknown;
};

const partPrefix: Record<string, string> = { body: '', querystring: '/query', params: '/path', headers: '/headers' };

function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Ajv's errors as `{ path, message }` with JSON-pointer paths, one per wrong field, in Paceline's
 * words (field-messages.ts). A union reports each failed alternative and then itself; only the
 * union's own error is kept, so a field is described once, as a whole. Neither the schema nor
 * the validator's wording is echoed.
 */
export function fieldErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'body';
  const prefix = partPrefix[context] ?? '';
  const issues = (error.validation ?? []) as AjvError[];
  const unions = issues.filter((issue) => issue.keyword === 'anyOf' || issue.keyword === 'oneOf').map((issue) => `${issue.schemaPath}/`);
  const byPath = new Map<string, string>();
  for (const issue of issues) {
    if (unions.some((union) => issue.schemaPath?.startsWith(union))) continue;
    const params = issue.params ?? {};
    let path = issue.instancePath ?? '';
    let message: string;
    if (issue.keyword === 'additionalProperties') {
      path += `/${pointerToken(String(params.additionalProperty))}`;
      message = context === 'querystring' ? 'is not an allowed parameter' : 'is not an allowed property';
    } else if (issue.keyword === 'required') {
      path += `/${pointerToken(String(params.missingProperty))}`;
      message = 'is required';
    } else {
      message = describeMismatch(issue.parentSchema ?? {}, issue.data);
    }
    const fullPath = `${prefix}${path}` || '/';
    if (!byPath.has(fullPath)) byPath.set(fullPath, message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}
