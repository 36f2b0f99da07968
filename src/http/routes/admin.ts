import { Type } from 'typebox';
import { adminAccess } from '../../authz/access.js';
import { notFound } from '../../errors.js';
import { UserIdParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { AccessReasonHeaders, SecurityEventPage, SecurityEventQuery } from '../schemas/security.js';
import { AdminUserView } from '../schemas/users.js';
import type { App } from '../types.js';

const tags = ['admin'];
const noContent = { 204: Type.Null(), ...problemResponses };

export function adminRoutes(app: App): void {
  app.get(
    '/api/v1/admin/users/:userId',
    {
      config: { access: adminAccess },
      schema: { operationId: 'adminGetUser', tags, summary: "A member's self view and account status (recorded, shown to the member)", params: UserIdParams, headers: AccessReasonHeaders, response: { 200: AdminUserView, ...problemResponses } },
    },
    async (request) => {
      const found = await request.data.admin.getUser(request.params.userId, request.headers['x-access-reason']);
      if (!found) throw notFound();
      return { ...found.user, status: found.status };
    },
  );

  app.post(
    '/api/v1/admin/users/:userId/suspend',
    { config: { access: adminAccess }, schema: { operationId: 'adminSuspendUser', tags, summary: 'Suspend a member; ends their sessions and tokens', params: UserIdParams, headers: AccessReasonHeaders, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.admin.suspend(request.params.userId, request.headers['x-access-reason']))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/admin/users/:userId/unsuspend',
    { config: { access: adminAccess }, schema: { operationId: 'adminUnsuspendUser', tags, summary: 'Lift a suspension', params: UserIdParams, headers: AccessReasonHeaders, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.admin.unsuspend(request.params.userId, request.headers['x-access-reason']))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/admin/security-events',
    { config: { access: adminAccess }, schema: { operationId: 'adminListSecurityEvents', tags, summary: 'The security event log', querystring: SecurityEventQuery, response: { 200: SecurityEventPage, ...problemResponses } } },
    async (request) => {
      const { type, actorId, since, ...page } = request.query;
      return request.data.admin.events({ type, actorId, since }, page);
    },
  );
}
