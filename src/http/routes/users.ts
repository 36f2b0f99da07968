import { Type } from 'typebox';
import { userAccess } from '../../authz/access.js';
import { notFound } from '../../errors.js';
import { PageQuery, UserIdParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { UserCardPage, UserView } from '../schemas/users.js';
import type { App } from '../types.js';
import { listOrThrow } from './list-outcome.js';

const tags = ['users'];
const readProfiles = userAccess(['profile:read']);

const SearchQuery = Type.Object(
  { q: Type.String({ minLength: 2, maxLength: 50, description: 'Prefix of a username or display name; matched literally.' }), ...PageQuery.properties },
  { additionalProperties: false },
);

export function usersRoutes(app: App): void {
  app.get(
    '/api/v1/users/:userId',
    {
      config: { access: readProfiles },
      schema: { operationId: 'getUser', tags, summary: "A member's profile view if you may see it, else their card", params: UserIdParams, response: { 200: UserView, ...problemResponses } },
    },
    async (request) => {
      const found = await request.data.users.getById(request.params.userId);
      if (!found) throw notFound();
      return found.user;
    },
  );

  app.get(
    '/api/v1/users/by-username/:username',
    {
      config: { access: readProfiles },
      schema: {
        operationId: 'getUserByUsername',
        tags,
        summary: 'The same, by username',
        params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 30, pattern: '^[A-Za-z0-9_]{1,30}$' }) }, { additionalProperties: false }),
        response: { 200: UserView, ...problemResponses },
      },
    },
    async (request) => {
      const found = await request.data.users.getByUsername(request.params.username);
      if (!found) throw notFound();
      return found.user;
    },
  );

  app.get(
    '/api/v1/users',
    {
      config: { access: readProfiles },
      schema: { operationId: 'searchUsers', tags, summary: 'Search members by username or display-name prefix', querystring: SearchQuery, response: { 200: UserCardPage, ...problemResponses } },
    },
    async (request) => request.data.users.search(request.query.q, request.query),
  );

  app.get(
    '/api/v1/users/:userId/followers',
    {
      config: { access: readProfiles },
      schema: { operationId: 'listFollowers', tags, summary: "A member's followers", params: UserIdParams, querystring: PageQuery, response: { 200: UserCardPage, ...problemResponses } },
    },
    async (request) => listOrThrow(await request.data.users.followers(request.params.userId, request.query)),
  );

  app.get(
    '/api/v1/users/:userId/following',
    {
      config: { access: readProfiles },
      schema: { operationId: 'listFollowing', tags, summary: 'Whom a member follows', params: UserIdParams, querystring: PageQuery, response: { 200: UserCardPage, ...problemResponses } },
    },
    async (request) => listOrThrow(await request.data.users.following(request.params.userId, request.query)),
  );
}
