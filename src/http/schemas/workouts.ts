import { Type } from 'typebox';
import { Id, Nullable, PageOf, Timestamp } from './common.js';
import { UserCard, WorkoutVisibility } from './users.js';

export const Discipline = Type.Union([
  Type.Literal('cycling'),
  Type.Literal('running'),
  Type.Literal('rowing'),
  Type.Literal('strength'),
  Type.Literal('yoga'),
  Type.Literal('walking'),
  Type.Literal('meditation'),
]);

const metric = (maximum: number, description: string) => Type.Number({ minimum: 0, maximum, description });

/** Measured values, each bounded to what a human body and a bike can produce. */
const metrics = {
  totalOutputKj: Nullable(metric(10_000, 'Total output in kilojoules.')),
  avgCadenceRpm: Nullable(metric(250, 'Average cadence in revolutions per minute.')),
  avgHeartRateBpm: Nullable(metric(250, 'Average heart rate in beats per minute.')),
  maxHeartRateBpm: Nullable(metric(250, 'Maximum heart rate in beats per minute.')),
  distanceKm: Nullable(metric(1_000, 'Distance in kilometres.')),
  calories: Nullable(metric(20_000, 'Energy in kilocalories.')),
};

export const Workout = Type.Object(
  {
    id: Id,
    userId: Id,
    classId: Nullable(Id),
    discipline: Discipline,
    title: Type.String(),
    startedAt: Timestamp,
    durationSeconds: Type.Integer({ minimum: 1 }),
    ...metrics,
    visibility: WorkoutVisibility,
    createdAt: Timestamp,
  },
  { additionalProperties: false, title: 'Workout' },
);

export const WorkoutPage = PageOf(Workout, 'WorkoutPage');

/** The owner is always the caller: `userId` (or any unknown property) in the body is a 400. */
export const NewWorkout = Type.Object(
  {
    classId: Type.Optional(Nullable(Id)),
    discipline: Discipline,
    title: Type.String({ minLength: 1, maxLength: 100 }),
    startedAt: Timestamp,
    durationSeconds: Type.Integer({ minimum: 1, maximum: 24 * 3600 }),
    totalOutputKj: Type.Optional(metrics.totalOutputKj),
    avgCadenceRpm: Type.Optional(metrics.avgCadenceRpm),
    avgHeartRateBpm: Type.Optional(metrics.avgHeartRateBpm),
    maxHeartRateBpm: Type.Optional(metrics.maxHeartRateBpm),
    distanceKm: Type.Optional(metrics.distanceKm),
    calories: Type.Optional(metrics.calories),
    visibility: Type.Optional(WorkoutVisibility),
  },
  { additionalProperties: false, title: 'NewWorkout' },
);

export const WorkoutPatch = Type.Object(
  { title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), visibility: Type.Optional(WorkoutVisibility) },
  { additionalProperties: false, minProperties: 1, title: 'WorkoutPatch' },
);

export const WorkoutIdParams = Type.Object({ workoutId: Id }, { additionalProperties: false });

export const FitnessClass = Type.Object(
  {
    id: Id,
    title: Type.String(),
    discipline: Discipline,
    instructor: UserCard,
    durationSeconds: Type.Integer({ minimum: 1 }),
    difficulty: Type.Integer({ minimum: 1, maximum: 10 }),
    airedAt: Timestamp,
  },
  { additionalProperties: false, title: 'Class' },
);

export const ClassPage = PageOf(FitnessClass, 'ClassPage');

const classProperties = {
  title: Type.String({ minLength: 1, maxLength: 100 }),
  discipline: Discipline,
  durationSeconds: Type.Integer({ minimum: 60, maximum: 4 * 3600 }),
  difficulty: Type.Integer({ minimum: 1, maximum: 10 }),
  airedAt: Timestamp,
};

export const NewClass = Type.Object(
  { ...classProperties, instructorId: Type.Optional(Id) },
  { additionalProperties: false, title: 'NewClass' },
);

export const ClassPatch = Type.Object(
  {
    title: Type.Optional(classProperties.title),
    discipline: Type.Optional(classProperties.discipline),
    durationSeconds: Type.Optional(classProperties.durationSeconds),
    difficulty: Type.Optional(classProperties.difficulty),
    airedAt: Type.Optional(classProperties.airedAt),
  },
  { additionalProperties: false, minProperties: 1, title: 'ClassPatch' },
);

export const ClassIdParams = Type.Object({ classId: Id }, { additionalProperties: false });

/** An entry names its athlete (a card, never more) only when the caller may see that workout. */
export const Leaderboard = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { rank: Type.Integer({ minimum: 1 }), totalOutputKj: Type.Number(), user: Nullable(UserCard) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Leaderboard' },
);
