import { Type } from 'typebox';
import type { AuthService } from '../../auth/auth-service.js';
import { publicAccess, userAccess } from '../../authz/access.js';
import { problemResponses } from '../schemas/problem.js';
import { LoginBody, LoginResponse, RegisterBody, RegisterResponse } from '../schemas/auth.js';
import type { App } from '../types.js';

const tags = ['accounts'];

export function authRoutes(app: App, auth: AuthService): void {
  app.post(
    '/api/v1/auth/register',
    {
      config: { access: publicAccess },
      schema: { operationId: 'register', tags, summary: 'Create an account', body: RegisterBody, response: { 201: RegisterResponse, ...problemResponses } },
    },
    async (request, reply) => {
      const user = await auth.register(request.body, request.context);
      return reply.code(201).send({ user });
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: publicAccess },
      schema: { operationId: 'login', tags, summary: 'Log in and get a session token', body: LoginBody, response: { 200: LoginResponse, ...problemResponses } },
    },
    async (request) => {
      const session = await auth.login(request.body, request.context);
      return { token: session.token, tokenType: 'Bearer' as const, expiresAt: session.expiresAt, user: session.user };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: userAccess([]) },
      schema: { operationId: 'logout', tags, summary: 'Revoke the token used for this request', response: { 204: Type.Null(), ...problemResponses } },
    },
    async (request, reply) => {
      if (request.viewer.kind === 'user') await auth.logout(request.viewer, request.context);
      return reply.code(204).send(null);
    },
  );
}
