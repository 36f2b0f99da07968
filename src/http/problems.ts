import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, type FieldError, errorCatalog } from '../errors.js';
import { type FieldSchema, describeMismatch } from './field-messages.js';

export const problemContentType = 'application/problem+json; charset=utf-8';

function problemType(code: ErrorCode): string {
  return `urn:paceline:problem:${code}`;
}

/** Writes a problem document. Headers the problem implies (WWW-Authenticate, Retry-After) are set here. */
export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="paceline"');
  if (error.code === 'insufficient_scope') reply.header('www-authenticate', 'Bearer realm="paceline", error="insufficient_scope"');
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  const body = {
    type: problemType(error.code),
    title: errorCatalog[error.code].title,
    status: error.status,
    detail: error.detail ?? errorCatalog[error.code].title,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
  return reply.code(error.status).type(problemContentType).send(JSON.stringify(body));
}

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
function fieldErrors(error: FastifyError): FieldError[] {
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

/** Maps whatever was thrown to the one error catalog. Unknown errors become a bare 500. */
export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return new AppError('validation_failed', { detail: 'The request does not match the schema.', errors: fieldErrors(fastifyError) });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', { detail: 'The request body is over the 64 KiB limit.' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', { detail: 'Send application/json.' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_json', { detail: 'The body is not valid JSON.' });
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return new AppError('invalid_json', { detail: 'The body is not valid JSON.' });
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return new AppError('payload_too_large');
  if (status === 415) return new AppError('unsupported_media_type');
  if (status >= 400 && status < 500) return new AppError('validation_failed', { detail: 'The request is malformed.' });
  return new AppError('internal');
}

/** The one error funnel: every failure leaves as a problem document with no internals. */
export function installProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, new AppError('not_found', { detail: 'No such resource.' })));
}
