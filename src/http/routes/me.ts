import { Type } from 'typebox';
import type { AuthService } from '../../auth/auth-service.js';
import { sessionAccess, userAccess } from '../../authz/access.js';
import { requireMember } from '../../authz/require-viewer.js';
import { notFound } from '../../errors.js';
import {
  CreateTokenBody,
  CreatedToken,
  DeleteAccountBody,
  PasswordChangeBody,
  SessionIdParams,
  SessionPage,
  TokenIdParams,
  TokenPage,
} from '../schemas/auth.js';
import { PageQuery } from '../schemas/common.js';
import { DataExport } from '../schemas/export.js';
import { problemResponses } from '../schemas/problem.js';
import { SecurityActivityPage } from '../schemas/security.js';
import { SelfPatch, UserSelf } from '../schemas/users.js';
import type { App } from '../types.js';

const tags = ['me'];
const noContent = { 204: Type.Null(), ...problemResponses };

export function meRoutes(app: App, auth: AuthService): void {
  app.get(
    '/api/v1/me',
    { config: { access: userAccess(['profile:read']) }, schema: { operationId: 'getMe', tags, summary: 'Your own account (self view)', response: { 200: UserSelf, ...problemResponses } } },
    async (request) => (await request.data.users.self()) ?? Promise.reject(notFound()),
  );

  app.patch(
    '/api/v1/me',
    {
      config: { access: userAccess(['profile:write']) },
      schema: { operationId: 'updateMe', tags, summary: 'Update your profile and privacy settings', body: SelfPatch, response: { 200: UserSelf, ...problemResponses } },
    },
    async (request) => (await request.data.me.update(request.body)) ?? Promise.reject(notFound()),
  );

  app.delete(
    '/api/v1/me',
    { config: { access: sessionAccess }, schema: { operationId: 'deleteMe', tags, summary: 'Erase your account and its data', body: DeleteAccountBody, response: noContent } },
    async (request, reply) => {
      await auth.deleteAccount(requireMember(request.viewer), request.body.password, request.context);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/export',
    { config: { access: sessionAccess }, schema: { operationId: 'exportMe', tags, summary: 'Everything held about you', response: { 200: DataExport, ...problemResponses } } },
    async (request) => request.data.me.export(),
  );

  app.post(
    '/api/v1/me/password',
    { config: { access: sessionAccess }, schema: { operationId: 'changePassword', tags, summary: 'Change your password; ends every other session and token', body: PasswordChangeBody, response: noContent } },
    async (request, reply) => {
      const self = await request.data.users.self();
      const personal = self ? [self.username, self.email.split('@')[0] ?? ''] : [];
      await auth.changePassword(requireMember(request.viewer), request.body, request.context, personal);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/sessions',
    { config: { access: sessionAccess }, schema: { operationId: 'listSessions', tags, summary: 'Your login sessions', querystring: PageQuery, response: { 200: SessionPage, ...problemResponses } } },
    async (request) => request.data.credentials.sessions(request.query),
  );

  app.delete(
    '/api/v1/me/sessions/:sessionId',
    { config: { access: sessionAccess }, schema: { operationId: 'revokeSession', tags, summary: 'End one of your sessions', params: SessionIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.credentials.revokeSession(request.params.sessionId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/me/tokens',
    { config: { access: sessionAccess }, schema: { operationId: 'createToken', tags, summary: 'Make a personal access token', body: CreateTokenBody, response: { 201: CreatedToken, ...problemResponses } } },
    async (request, reply) => {
      const { name, scopes, expiresInDays = 90 } = request.body;
      const issued = await request.data.credentials.createToken({ name, scopes, expiresAt: new Date(Date.now() + expiresInDays * 24 * 3600_000) });
      return reply.code(201).send({ id: issued.id, name, scopes, expiresAt: issued.expiresAt, token: issued.secret });
    },
  );

  app.get(
    '/api/v1/me/tokens',
    { config: { access: sessionAccess }, schema: { operationId: 'listTokens', tags, summary: 'Your personal access tokens (never their secrets)', querystring: PageQuery, response: { 200: TokenPage, ...problemResponses } } },
    async (request) => request.data.credentials.tokens(request.query),
  );

  app.delete(
    '/api/v1/me/tokens/:tokenId',
    { config: { access: sessionAccess }, schema: { operationId: 'revokeToken', tags, summary: 'Revoke a personal access token', params: TokenIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.credentials.revokeToken(request.params.tokenId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/security-activity',
    {
      config: { access: userAccess(['profile:read']) },
      schema: { operationId: 'getSecurityActivity', tags, summary: 'Logins, tokens, password changes and administrator access to your data', querystring: PageQuery, response: { 200: SecurityActivityPage, ...problemResponses } },
    },
    async (request) => request.data.securityActivity(request.query),
  );
}

