import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * No Paceline URL needs more than a few hundred characters (ids, a cursor, a search prefix); a
 * long one is a probe or a mistake, refused before any work. Past Node's 16 KiB header limit the
 * connection layer answers instead (connection-errors.ts).
 */
export const maxUrlLength = 4096;

/**
 * Checks of the request line and of Host, before authentication. Node's own Host check is off
 * (see app.ts) because it answers with an empty body; this one answers with a problem document.
 */
export function installRequestLineChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.url.length > maxUrlLength) {
      throw new AppError('uri_too_long', { detail: `The URL is over ${maxUrlLength} characters.` });
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/1.0 clients may leave it out.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new AppError('malformed_request', { detail: 'An HTTP/1.1 request must send a Host header.' });
    }
  });
}
