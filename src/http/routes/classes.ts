import { Type } from 'typebox';
import { publicAccess, userAccess } from '../../authz/access.js';
import { notFound } from '../../errors.js';
import { PageQuery } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { ClassIdParams, ClassPage, ClassPatch, Discipline, FitnessClass, Leaderboard, NewClass } from '../schemas/workouts.js';
import type { App } from '../types.js';
import { valueOrThrow } from './workouts.js';

const tags = ['classes'];
// Class writes need the workouts:write scope; who may write (instructors, admins) is decided per
// class in the data layer, so members get 403 and anonymous callers 401.
const write = userAccess(['workouts:write']);

const CatalogQuery = Type.Object({ ...PageQuery.properties, discipline: Type.Optional(Discipline) }, { additionalProperties: false });
const LeaderboardQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }, { additionalProperties: false });

export function classesRoutes(app: App): void {
  app.get(
    '/api/v1/classes',
    { config: { access: publicAccess }, schema: { operationId: 'listClasses', tags, summary: 'The class catalog, newest first', querystring: CatalogQuery, response: { 200: ClassPage, ...problemResponses } } },
    async (request) => {
      const { discipline, ...page } = request.query;
      return request.data.classes.list(page, discipline);
    },
  );

  app.get(
    '/api/v1/classes/:classId',
    { config: { access: publicAccess }, schema: { operationId: 'getClass', tags, summary: 'One class', params: ClassIdParams, response: { 200: FitnessClass, ...problemResponses } } },
    async (request) => (await request.data.classes.get(request.params.classId)) ?? Promise.reject(notFound()),
  );

  app.post(
    '/api/v1/classes',
    { config: { access: write }, schema: { operationId: 'createClass', tags, summary: 'Create a class (instructors: their own; admins: any)', body: NewClass, response: { 201: FitnessClass, ...problemResponses } } },
    async (request, reply) => reply.code(201).send(await request.data.classes.create(request.body)),
  );

  app.patch(
    '/api/v1/classes/:classId',
    {
      config: { access: write },
      schema: { operationId: 'updateClass', tags, summary: 'Change a class you teach (admins: any)', params: ClassIdParams, body: ClassPatch, response: { 200: FitnessClass, ...problemResponses } },
    },
    async (request) => valueOrThrow(await request.data.classes.update(request.params.classId, request.body), 'class'),
  );

  app.delete(
    '/api/v1/classes/:classId',
    { config: { access: write }, schema: { operationId: 'deleteClass', tags, summary: 'Delete a class you teach (admins: any)', params: ClassIdParams, response: { 204: Type.Null(), ...problemResponses } } },
    async (request, reply) => {
      valueOrThrow(await request.data.classes.remove(request.params.classId), 'class');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/classes/:classId/leaderboard',
    {
      config: { access: userAccess(['workouts:read']) },
      schema: { operationId: 'getLeaderboard', tags, summary: "A class's leaderboard; athletes you may not see appear as private athletes", params: ClassIdParams, querystring: LeaderboardQuery, response: { 200: Leaderboard, ...problemResponses } },
    },
    async (request) => {
      const items = await request.data.classes.leaderboard(request.params.classId, request.query.limit);
      if (!items) throw notFound();
      return { items };
    },
  );
}
