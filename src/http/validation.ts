import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { AppError } from '../errors.js';

/**
 * Two validators. Bodies are checked exactly: no type coercion ("70" is not a weight), no silent
 * removal of unknown properties (they are a 400, so mass assignment is loud, never quiet).
 * Path, query and header values are text on the wire, so those are coerced to their declared types.
 */
function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({ allErrors: true, coerceTypes: coerceTypes ? 'array' : false, removeAdditional: false, useDefaults: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;

/** The JSON-pointer path of the first string (or key) holding U+0000, or null. */
export function findNulCharacter(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const itemPath = `${path}/${key}`;
    if (key.includes('\u0000')) return itemPath;
    const found = findNulCharacter(item, itemPath);
    if (found) return found;
  }
  return null;
}

/**
 * Input checks that route schemas cannot express, for every route, before any schema or query
 * sees the request:
 * - an operation without a body (or query) schema takes none, so anything sent is a 400 rather
 *   than silently ignored (an empty object `{}`, which many clients send with every POST, is fine);
 * - NUL is valid JSON and valid in a URL, but no text column can hold it (PostgreSQL refuses it),
 *   so it is a 400 naming the field.
 */
export function rejectUnexpectedInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema;
    if (schema && !schema.body && !isEmpty(request.body)) {
      throw new AppError('validation_failed', { detail: 'This operation takes no request body.', errors: [{ path: '/', message: 'must be empty' }] });
    }
    const query = request.query as Record<string, unknown> | undefined;
    const unexpected = schema && !schema.querystring && query ? Object.keys(query)[0] : undefined;
    if (unexpected !== undefined) {
      throw new AppError('validation_failed', { detail: 'This operation takes no query parameters.', errors: [{ path: `/query/${unexpected}`, message: 'is not an allowed parameter' }] });
    }
    const path = findNulCharacter(request.body, '') ?? findNulCharacter(request.query, '/query') ?? findNulCharacter(request.params, '/path');
    if (path !== null) {
      throw new AppError('validation_failed', { detail: 'Text must not contain the NUL character.', errors: [{ path, message: 'must not contain the NUL character' }] });
    }
  });
}

function isEmpty(body: unknown): boolean {
  return body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
}
