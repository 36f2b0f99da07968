import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, errorCatalog } from '../errors.js';
import { applyResponseHeaders } from './response-headers.js';
import { fieldErrors } from './validation-errors.js';

export const problemContentType = 'application/problem+json; charset=utf-8';

function problemType(code: ErrorCode): string {
  return `urn:paceline:problem:${code}`;
}

/** The RFC 9457 document for an error, as JSON text. */
export function problemBody(error: AppError): string {
  return JSON.stringify({
    type: problemType(error.code),
    title: errorCatalog[error.code].title,
    status: error.status,
    detail: error.detail ?? errorCatalog[error.code].title,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  });
}

/** Writes a problem document. Headers the problem implies (WWW-Authenticate, Retry-After) are set here. */
export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="paceline"');
  if (error.code === 'insufficient_scope') reply.header('www-authenticate', 'Bearer realm="paceline", error="insufficient_scope"');
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).type(problemContentType).send(problemBody(error));
}

const invalidJson = () => new AppError('invalid_json', { detail: 'The body is not valid JSON.' });

/** Fastify's own errors in Paceline's words; none of them names the path or the framework. */
function frameworkError(code: string | undefined): AppError | null {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', { detail: 'The request body is over the 64 KiB limit.' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', { detail: 'Send application/json.' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidJson();
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('malformed_request', { detail: 'The Content-Length does not match the body.' });
    case 'FST_ERR_BAD_URL':
      return new AppError('invalid_url', { detail: 'The URL is not valid: check its percent-encoding.' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('uri_too_long', { detail: 'A path segment of the URL is too long.' });
    default:
      return null;
  }
}

/** What an error without a known code becomes, by its status. */
const byStatus: Record<number, ErrorCode> = {
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

/** Maps whatever was thrown to the one error catalog. Unknown errors become a bare 500. */
export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return new AppError('validation_failed', { detail: 'The request does not match the schema.', errors: fieldErrors(fastifyError) });
  }
  const known = frameworkError(fastifyError.code);
  if (known) return known;
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return invalidJson();
  const status = fastifyError.statusCode ?? 500;
  const code = byStatus[status];
  if (code) return new AppError(code);
  if (status >= 400 && status < 500) return new AppError('validation_failed', { detail: 'The request is malformed.' });
  return new AppError('internal');
}

/**
 * For the server option `frameworkErrors`: errors the router meets before any hook runs (a URL
 * that does not decode, an over-long path segment) go through the same funnel, with the headers
 * the skipped hooks would have set.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  applyResponseHeaders(request, reply);
  sendProblem(reply, toAppError(error));
}

/** The one error funnel: every failure leaves as a problem document with no internals. */
export function installProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    // Some errors are raised before the first hook (an unknown method); they get the headers too.
    applyResponseHeaders(request, reply);
    return sendProblem(reply, appError);
  });
}
