import type { Kysely, Selectable } from 'kysely';
import { requireMember } from '../authz/require-viewer.js';
import { classVisibleTo } from '../authz/class-visibility.js';
import { profileVisibleTo, userVisibleTo } from '../authz/user-visibility.js';
import type { Viewer } from '../authz/viewer.js';
import { workoutOwnedBy, workoutVisibleTo } from '../authz/workout-visibility.js';
import type { DB, Discipline, WorkoutVisibility, WorkoutsTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { timeOrderedId, nowIso } from '../ids.js';
import { type Page, type PageRequest, newestFirst, timeAndIdKey, toPage } from './pagination.js';
import { preparedQuery, viewerWithUserId } from './prepared-query.js';
import type { ListOutcome } from './users.js';
import type { MemberLocks } from './member-locks.js';
import { countWorkout, moveWorkout } from './workout-counters.js';

export interface Workout {
  id: string;
  userId: string;
  classId: string | null;
  discipline: Discipline;
  title: string;
  startedAt: string;
  durationSeconds: number;
  totalOutputKj: number | null;
  avgCadenceRpm: number | null;
  avgHeartRateBpm: number | null;
  maxHeartRateBpm: number | null;
  distanceKm: number | null;
  calories: number | null;
  visibility: WorkoutVisibility;
  createdAt: string;
}

export type NewWorkout = Omit<Workout, 'id' | 'userId' | 'createdAt' | 'visibility' | 'classId' | 'totalOutputKj' | 'avgCadenceRpm' | 'avgHeartRateBpm' | 'maxHeartRateBpm' | 'distanceKm' | 'calories'> &
  Partial<Pick<Workout, 'visibility' | 'classId' | 'totalOutputKj' | 'avgCadenceRpm' | 'avgHeartRateBpm' | 'maxHeartRateBpm' | 'distanceKm' | 'calories'>>;

export type WorkoutPatch = Partial<Pick<Workout, 'title' | 'visibility'>>;

/** Writes answer the workout, "forbidden" (visible but not the caller's: 403) or null (404). */
export type WriteOutcome<T> = { kind: 'ok'; value: T } | { kind: 'forbidden' } | { kind: 'absent' };

export function toWorkout(row: Selectable<WorkoutsTable>): Workout {
  return {
    id: row.id,
    userId: row.user_id,
    classId: row.class_id,
    discipline: row.discipline,
    title: row.title,
    startedAt: row.started_at,
    durationSeconds: row.duration_seconds,
    totalOutputKj: row.total_output_kj,
    avgCadenceRpm: row.avg_cadence_rpm,
    avgHeartRateBpm: row.avg_heart_rate_bpm,
    maxHeartRateBpm: row.max_heart_rate_bpm,
    distanceKm: row.distance_km,
    calories: row.calories,
    visibility: row.visibility,
    createdAt: row.created_at,
  };
}

/**
 * Workouts on behalf of one viewer. Reads carry the workout rule (owner; else a visible owner and
 * a visibility that admits the viewer); writes carry the owner rule in their WHERE, and when no
 * row changed the read rule decides between 403 (visible, not yours) and 404.
 */
export function createWorkoutsRepository(db: Kysely<DB>, viewer: Viewer, memberLocks: MemberLocks) {
  const visible = workoutVisibleTo(viewer);
  const owned = workoutOwnedBy(viewer);

  /** A point read on every workout request: compiled once per kind of viewer (prepared-query.ts). */
  async function get(id: string): Promise<Workout | null> {
    const query = preparedQuery(db, `workouts.get:${viewer.kind}`, ['viewer', 'id'], (args) =>
      db.selectFrom('workouts').selectAll().where('workouts.id', '=', args.id).where(workoutVisibleTo(viewerWithUserId(viewer, args.viewer))),
    );
    const [row] = await query.execute({ viewer: viewer.kind === 'user' ? viewer.userId : '', id });
    return row ? toWorkout(row) : null;
  }

  async function refusal<T>(id: string): Promise<WriteOutcome<T>> {
    return (await get(id)) ? { kind: 'forbidden' } : { kind: 'absent' };
  }

  function list(filter: (query: ReturnType<typeof base>) => ReturnType<typeof base>, page: PageRequest): Promise<Page<Workout>> {
    return filter(base())
      .$call(newestFirst('workouts.started_at', 'workouts.id', page))
      .execute()
      .then((rows) => toPage(rows, page.limit, (row) => timeAndIdKey(row.started_at, row.id), toWorkout));
  }

  function base() {
    return db.selectFrom('workouts').selectAll();
  }

  return {
    get,

    /** The owner is always the caller; the visibility defaults to the caller's own setting. */
    async create(input: NewWorkout): Promise<Workout> {
      const me = requireMember(viewer).userId;
      return db.transaction().execute(async (trx) => {
        // Locked before the insert takes a weaker lock on it (member-locks.ts).
        await memberLocks.row(trx, me);
        if (input.classId != null) {
          const known = await trx.selectFrom('classes').select('classes.id').where('classes.id', '=', input.classId).where(classVisibleTo(viewer)).executeTakeFirst();
          if (!known) throw new AppError('validation_failed', { detail: 'No such class.', errors: [{ path: '/classId', message: 'is not a class you can see' }] });
        }
        const owner = await trx.selectFrom('users').select('privacy_default_workout_visibility').where('id', '=', me).executeTakeFirstOrThrow();
        const row: Selectable<WorkoutsTable> = {
          id: timeOrderedId(),
          user_id: me,
          class_id: input.classId ?? null,
          discipline: input.discipline,
          title: input.title,
          started_at: new Date(input.startedAt).toISOString(),
          duration_seconds: input.durationSeconds,
          total_output_kj: input.totalOutputKj ?? null,
          avg_cadence_rpm: input.avgCadenceRpm ?? null,
          avg_heart_rate_bpm: input.avgHeartRateBpm ?? null,
          max_heart_rate_bpm: input.maxHeartRateBpm ?? null,
          distance_km: input.distanceKm ?? null,
          calories: input.calories ?? null,
          visibility: input.visibility ?? owner.privacy_default_workout_visibility,
          created_at: nowIso(),
        };
        await trx.insertInto('workouts').values(row).execute();
        await countWorkout(trx, me, row.visibility, 1);
        return toWorkout(row);
      });
    },

    async update(id: string, patch: WorkoutPatch): Promise<WriteOutcome<Workout>> {
      const set = { ...(patch.title !== undefined ? { title: patch.title } : {}), ...(patch.visibility !== undefined ? { visibility: patch.visibility } : {}) };
      if (Object.keys(set).length === 0) throw new AppError('validation_failed', { detail: 'Nothing to change.', errors: [{ path: '/', message: 'must name a property to change' }] });
      const changed = await db.transaction().execute(async (trx) => {
        // Only the owner's own workouts change, so the owner is the viewer. Every write to a
        // member's workouts locks the member's row first, so the visibility read next is the one
        // the last committed change left: of two concurrent changes, the second moves the counter
        // from the first one's visibility, not from the original.
        if (viewer.kind === 'user') await memberLocks.row(trx, viewer.userId);
        const before = await trx
          .selectFrom('workouts')
          .select(['workouts.user_id', 'workouts.visibility'])
          .where('workouts.id', '=', id)
          .where(owned)
          .executeTakeFirst();
        if (!before) return false;
        await trx.updateTable('workouts').set(set).where('workouts.id', '=', id).where(owned).execute();
        if (set.visibility !== undefined) await moveWorkout(trx, before.user_id, before.visibility, set.visibility);
        return true;
      });
      if (!changed) return refusal(id);
      const updated = await get(id);
      return updated ? { kind: 'ok', value: updated } : { kind: 'absent' };
    },

    async remove(id: string): Promise<WriteOutcome<true>> {
      const removed = await db.transaction().execute(async (trx) => {
        if (viewer.kind === 'user') await memberLocks.row(trx, viewer.userId);
        const row = await trx.deleteFrom('workouts').where('workouts.id', '=', id).where(owned).returning(['user_id', 'visibility']).executeTakeFirst();
        if (row) await countWorkout(trx, row.user_id, row.visibility, -1);
        return row !== undefined;
      });
      return removed ? { kind: 'ok', value: true } : refusal(id);
    },

    mine(page: PageRequest): Promise<Page<Workout>> {
      requireMember(viewer);
      return list((query) => query.where(owned), page);
    },

    /** A member's workouts as the viewer may see them; the whole list needs their profile view. */
    async ofMember(userId: string, page: PageRequest): Promise<ListOutcome<Workout>> {
      const member = await db
        .selectFrom('users')
        .select((eb) => eb.case().when(profileVisibleTo(viewer)(eb)).then(1).else(0).end().as('profile_visible'))
        .where('users.id', '=', userId)
        .where(userVisibleTo(viewer))
        .executeTakeFirst();
      if (!member) return { kind: 'absent' };
      if (Number(member.profile_visible) !== 1) return { kind: 'hidden' };
      return { kind: 'ok', page: await list((query) => query.where('workouts.user_id', '=', userId).where(visible), page) };
    },
  };
}

export type WorkoutsRepository = ReturnType<typeof createWorkoutsRepository>;
