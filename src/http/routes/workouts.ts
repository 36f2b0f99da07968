import { Type } from 'typebox';
import { userAccess } from '../../authz/access.js';
import type { WriteOutcome } from '../../data/workouts.js';
import { AppError, notFound } from '../../errors.js';
import { PageQuery, UserIdParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { NewWorkout, Workout, WorkoutIdParams, WorkoutPage, WorkoutPatch } from '../schemas/workouts.js';
import type { App } from '../types.js';
import { listOrThrow } from './list-outcome.js';

const tags = ['workouts'];
const read = userAccess(['workouts:read']);
const write = userAccess(['workouts:write']);

/** 403 when the caller can see the object but it is not theirs to change; 404 when it is not visible. */
export function valueOrThrow<T>(outcome: WriteOutcome<T>, what: string): T {
  if (outcome.kind === 'forbidden') throw new AppError('forbidden', { detail: `Only the owner may change this ${what}.` });
  if (outcome.kind === 'absent') throw notFound();
  return outcome.value;
}

export function workoutsRoutes(app: App): void {
  app.post(
    '/api/v1/workouts',
    { config: { access: write }, schema: { operationId: 'createWorkout', tags, summary: 'Record a workout (always your own)', body: NewWorkout, response: { 201: Workout, ...problemResponses } } },
    async (request, reply) => reply.code(201).send(await request.data.workouts.create(request.body)),
  );

  app.get(
    '/api/v1/workouts/:workoutId',
    { config: { access: read }, schema: { operationId: 'getWorkout', tags, summary: 'A workout, if you may see it', params: WorkoutIdParams, response: { 200: Workout, ...problemResponses } } },
    async (request) => (await request.data.workouts.get(request.params.workoutId)) ?? Promise.reject(notFound()),
  );

  app.patch(
    '/api/v1/workouts/:workoutId',
    {
      config: { access: write },
      schema: { operationId: 'updateWorkout', tags, summary: 'Change the title or visibility of your workout', params: WorkoutIdParams, body: WorkoutPatch, response: { 200: Workout, ...problemResponses } },
    },
    async (request) => valueOrThrow(await request.data.workouts.update(request.params.workoutId, request.body), 'workout'),
  );

  app.delete(
    '/api/v1/workouts/:workoutId',
    { config: { access: write }, schema: { operationId: 'deleteWorkout', tags, summary: 'Delete your workout', params: WorkoutIdParams, response: { 204: Type.Null(), ...problemResponses } } },
    async (request, reply) => {
      valueOrThrow(await request.data.workouts.remove(request.params.workoutId), 'workout');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/workouts',
    { config: { access: read }, schema: { operationId: 'listMyWorkouts', tags, summary: 'All your workouts, newest first', querystring: PageQuery, response: { 200: WorkoutPage, ...problemResponses } } },
    async (request) => request.data.workouts.mine(request.query),
  );

  app.get(
    '/api/v1/users/:userId/workouts',
    {
      config: { access: read },
      schema: { operationId: 'listUserWorkouts', tags, summary: "A member's workouts that you may see", params: UserIdParams, querystring: PageQuery, response: { 200: WorkoutPage, ...problemResponses } },
    },
    async (request) => listOrThrow(await request.data.workouts.ofMember(request.params.userId, request.query)),
  );
}
