import { Type } from 'typebox';
import { userAccess } from '../../authz/access.js';
import { notFound } from '../../errors.js';
import { PageQuery, UserIdParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { UserCardPage } from '../schemas/users.js';
import type { App } from '../types.js';

const tags = ['social'];
const socialWrite = userAccess(['social:write']);
const noContent = { 204: Type.Null(), ...problemResponses };

const FollowResponse = Type.Object(
  { state: Type.Union([Type.Literal('following'), Type.Literal('requested')]) },
  { additionalProperties: false, title: 'FollowState' },
);

/** Follows, follow requests and blocks. Each write is scoped in the data layer; false or null means 404. */
export function socialRoutes(app: App): void {
  app.post(
    '/api/v1/users/:userId/follow',
    { config: { access: socialWrite }, schema: { operationId: 'followUser', tags, summary: 'Follow a member (a request if their profile is private)', params: UserIdParams, response: { 200: FollowResponse, ...problemResponses } } },
    async (request) => {
      const state = await request.data.follows.follow(request.params.userId);
      if (!state) throw notFound();
      return { state };
    },
  );

  app.delete(
    '/api/v1/users/:userId/follow',
    { config: { access: socialWrite }, schema: { operationId: 'unfollowUser', tags, summary: 'Unfollow, or withdraw a request', params: UserIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.follows.unfollow(request.params.userId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/follow-requests',
    { config: { access: userAccess(['profile:read']) }, schema: { operationId: 'listFollowRequests', tags, summary: 'Pending requests to follow you', querystring: PageQuery, response: { 200: UserCardPage, ...problemResponses } } },
    async (request) => request.data.follows.incomingRequests(request.query),
  );

  app.post(
    '/api/v1/me/follow-requests/:userId/approve',
    { config: { access: socialWrite }, schema: { operationId: 'approveFollowRequest', tags, summary: 'Approve a follow request', params: UserIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.follows.approve(request.params.userId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/me/follow-requests/:userId/deny',
    { config: { access: socialWrite }, schema: { operationId: 'denyFollowRequest', tags, summary: 'Deny a follow request', params: UserIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.follows.deny(request.params.userId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/v1/me/followers/:userId',
    { config: { access: socialWrite }, schema: { operationId: 'removeFollower', tags, summary: 'Remove one of your followers', params: UserIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.follows.removeFollower(request.params.userId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/users/:userId/block',
    { config: { access: socialWrite }, schema: { operationId: 'blockUser', tags, summary: 'Block a member; ends follows and requests both ways', params: UserIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.blocks.block(request.params.userId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/v1/users/:userId/block',
    { config: { access: socialWrite }, schema: { operationId: 'unblockUser', tags, summary: 'Unblock a member', params: UserIdParams, response: noContent } },
    async (request, reply) => {
      if (!(await request.data.blocks.unblock(request.params.userId))) throw notFound();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/blocks',
    { config: { access: userAccess(['profile:read']) }, schema: { operationId: 'listBlocks', tags, summary: 'Members you have blocked', querystring: PageQuery, response: { 200: UserCardPage, ...problemResponses } } },
    async (request) => request.data.blocks.list(request.query),
  );
}
