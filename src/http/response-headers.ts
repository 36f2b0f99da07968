import type { FastifyReply, FastifyRequest } from 'fastify';

/** Headers every answer carries, whichever layer writes it. */
export const securityHeaders = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;

/**
 * Sets the request id and the security headers. Called from the first `onRequest` hook and again
 * on the paths that answer before any hook runs (router errors, the error funnel), so no answer
 * goes out without them.
 */
export function applyResponseHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  reply.headers(securityHeaders);
  // Member data must not sit in shared caches.
  if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
}
