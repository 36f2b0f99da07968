import type { IncomingHttpHeaders } from 'node:http';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { AppError } from '../errors.js';
import { addPacelineFormats } from './formats.js';
import { findInputProblem } from './input-walk.js';

/**
 * Two validators. Bodies are checked exactly: no type coercion ("70" is not a weight), no silent
 * removal of unknown properties (they are a 400, so mass assignment is loud, never quiet).
 * Path, query and header values are text on the wire, so those are coerced to their declared types.
 */
function makeAjv(coerceTypes: boolean) {
  // verbose: each error carries its schema and value, from which validation-errors.ts writes
  // the message.
  const ajv = new Ajv.default({ verbose: true, allErrors: true, coerceTypes: coerceTypes ? 'array' : false, removeAdditional: false, useDefaults: true, strict: false });
  addFormats.default(ajv);
  addPacelineFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;

/**
 * Input checks that route schemas cannot express, for every route, before any schema or query
 * sees the request:
 * - a GET or HEAD with a body is a 400;
 * - an operation without a body (or query) schema takes none, so anything sent is a 400 rather
 *   than silently ignored (an empty object `{}`, which many clients send with every POST, is fine);
 * - NUL characters and over-deep nesting (see input-walk.ts) are a 400 naming the field.
 */
export function rejectUnexpectedInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    // Fastify does not read the body of a GET or HEAD at all: refuse it rather than drop it, and
    // close the connection, since the unread body would otherwise be parsed as what comes next.
    if (bodylessMethods.has(request.method) && sendsBody(request.headers)) {
      reply.header('connection', 'close');
      const detail = `A ${request.method} request takes no body.`;
      throw new AppError('validation_failed', { detail, errors: [{ path: '/', message: 'must be empty' }] });
    }
    const schema = request.routeOptions.schema;
    if (schema && !schema.body && !isEmpty(request.body)) {
      throw new AppError('validation_failed', { detail: 'This operation takes no request body.', errors: [{ path: '/', message: 'must be empty' }] });
    }
    const query = request.query as Record<string, unknown> | undefined;
    const unexpected = schema && !schema.querystring && query ? Object.keys(query)[0] : undefined;
    if (unexpected !== undefined) {
      throw new AppError('validation_failed', { detail: 'This operation takes no query parameters.', errors: [{ path: `/query/${unexpected}`, message: 'is not an allowed parameter' }] });
    }
    const problem = findInputProblem(request.body, '') ?? findInputProblem(request.query, '/query') ?? findInputProblem(request.params, '/path');
    if (problem !== null) {
      throw new AppError('validation_failed', { detail: problem.detail, errors: [{ path: problem.path, message: problem.message }] });
    }
  });
}

const bodylessMethods = new Set(['GET', 'HEAD']);

function sendsBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isEmpty(body: unknown): boolean {
  return body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
}
