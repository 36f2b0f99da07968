import { Type } from 'typebox';
import { publicAccess } from '../../authz/access.js';
import { AppError } from '../../errors.js';
import type { Readiness } from '../readiness.js';
import { unavailableResponse } from '../schemas/problem.js';
import type { App } from '../types.js';

const tags = ['operations'];
const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

export function operationsRoutes(app: App, options: { readiness: () => Promise<Readiness>; securityContact: string }): void {
  app.get(
    '/healthz',
    { config: { access: publicAccess }, schema: { operationId: 'healthz', tags, summary: 'The process is up', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { config: { access: publicAccess }, schema: { operationId: 'readyz', tags, summary: 'The database answers and its schema is up to date', response: { 200: Status, 503: unavailableResponse } } },
    async (request) => {
      const readiness = await options.readiness();
      if (!readiness.ready && readiness.reason === 'unreachable') {
        request.log.warn({ err: readiness.error }, 'readiness check failed');
        throw new AppError('unavailable', { detail: 'The database is not reachable.' });
      }
      // Until then every data route would fail: the tables this build needs are not there yet.
      if (!readiness.ready) throw new AppError('unavailable', { detail: 'The database has not been migrated to this version of Paceline yet.' });
      return { status: 'ready' };
    },
  );

  app.get(
    '/.well-known/security.txt',
    { config: { access: publicAccess }, schema: { operationId: 'securityTxt', tags, summary: 'How to report a vulnerability (RFC 9116)', response: { 200: Type.String() } } },
    async (_request, reply) => {
      // RFC 9116 asks for an Expires date less than a year ahead; it moves with each start.
      const expires = new Date(Date.now() + 180 * 24 * 3600_000).toISOString();
      const body = [`Contact: ${options.securityContact}`, `Expires: ${expires}`, 'Preferred-Languages: en', ''].join('\n');
      return reply.type('text/plain; charset=utf-8').send(body);
    },
  );
}
