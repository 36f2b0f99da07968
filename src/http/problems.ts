import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, type FieldError, errorCatalog } from '../errors.js';

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

type AjvError = { instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> };

const partPrefix: Record<string, string> = { body: '', querystring: '/query', params: '/path', headers: '/headers' };

/** Ajv's errors as `{ path, message }` with JSON-pointer paths; the schema itself is never echoed. */
function fieldErrors(error: FastifyError): FieldError[] {
  const prefix = partPrefix[error.validationContext ?? 'body'] ?? '';
  return ((error.validation ?? []) as AjvError[]).map((issue) => {
    const params = issue.params ?? {};
    let path = issue.instancePath ?? '';
    let message = issue.message ?? 'is not valid';
    if (issue.keyword === 'additionalProperties') {
      path += `/${String(params.additionalProperty)}`;
      message = 'is not an allowed property';
    } else if (issue.keyword === 'required') {
      path += `/${String(params.missingProperty)}`;
      message = 'is required';
    }
    return { path: `${prefix}${path}` || '/', message };
  });
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
