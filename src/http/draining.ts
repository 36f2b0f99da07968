import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * Once the server starts closing, requests still arriving on open connections answer 503 with
 * `Connection: close`, so clients retry elsewhere. Fastify's own version of this (the option
 * `return503OnClosing`, turned off in app.ts) answers in its format, not a problem document.
 */
export function installDraining(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new AppError('unavailable', { detail: 'The server is shutting down; try again.', retryAfterSeconds: 1 });
  });
}
