import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from '../errors.js';
import { problemBody, problemContentType } from './problems.js';
import { securityHeaders } from './response-headers.js';

/** Node's parse errors carry the packet being parsed (typed loosely by Fastify, hence unknown). */
type ClientError = Error & { code?: string; rawPacket?: unknown; bytesParsed?: number };

/** True while the parser is still inside the request line: then the URL is what is too long. */
function inRequestLine(error: ClientError): boolean {
  if (!Buffer.isBuffer(error.rawPacket)) return false;
  const packet = error.rawPacket.subarray(0, error.bytesParsed ?? error.rawPacket.length).toString('latin1');
  return /^[A-Z-]+ /.test(packet) && !packet.includes('\n');
}

function clientProblem(error: ClientError): AppError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('request_timeout', { detail: 'The request did not arrive in time.' });
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    if (inRequestLine(error)) return new AppError('uri_too_long', { detail: 'The URL is over the 16 KiB limit.' });
    return new AppError('headers_too_large', { detail: 'The request line and headers are over the 16 KiB limit.' });
  }
  return new AppError('malformed_request', { detail: 'The request is not valid HTTP/1.1.' });
}

function problemHeaders(body: string): Record<string, string> {
  return {
    'content-type': problemContentType,
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': randomUUID(),
    ...securityHeaders,
    'cache-control': 'no-store',
    connection: 'close',
  };
}

/**
 * For the server option `clientErrorHandler`: what Node's HTTP parser refuses (oversized headers,
 * broken framing, a timeout) never reaches Fastify, so the answer is written to the socket here,
 * still as a problem document with a request id. The connection is closed: after a parse error
 * the rest of the stream cannot be trusted.
 */
export function answerClientError(error: ClientError, socket: Socket): void {
  // A reset connection, or one already gone, has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way (Node's own field, checked as Node's default handler does) must
  // not be cut into by a second one: then the connection just ends.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const problem = clientProblem(error);
  const body = problemBody(problem);
  const head = Object.entries(problemHeaders(body)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n${head}\r\n${body}`);
}

/** For Node's `checkExpectation` event: an `Expect` other than 100-continue answers 417 (RFC 9110 §10.1.1). */
export function answerUnmetExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const body = problemBody(new AppError('expectation_failed', { detail: 'Only "Expect: 100-continue" is supported.' }));
  response.writeHead(417, problemHeaders(body));
  response.end(body);
}
