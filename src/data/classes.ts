import type { Kysely } from 'kysely';
import { classManagedBy, classVisibleTo } from '../authz/class-visibility.js';
import { requireMember } from '../authz/require-viewer.js';
import type { Viewer } from '../authz/viewer.js';
import { workoutVisibleTo } from '../authz/workout-visibility.js';
import type { DB, Discipline } from '../db/schema.js';
import { AppError } from '../errors.js';
import { randomId, nowIso } from '../ids.js';
import { type Page, type PageRequest, newestFirst, timeAndIdKey, toPage } from './pagination.js';
import type { WriteOutcome } from './workouts.js';
import { type UserCard, toCard } from './views.js';

export interface FitnessClass {
  id: string;
  title: string;
  discipline: Discipline;
  instructor: UserCard;
  durationSeconds: number;
  difficulty: number;
  airedAt: string;
}

export interface NewClass {
  title: string;
  discipline: Discipline;
  durationSeconds: number;
  difficulty: number;
  airedAt: string;
  instructorId?: string | undefined;
}

export type ClassPatch = Partial<Omit<NewClass, 'instructorId'>>;

export interface LeaderboardEntry {
  rank: number;
  totalOutputKj: number;
  /** The athlete's card only when the viewer may see that workout; otherwise a "private athlete". */
  user: UserCard | null;
}

/**
 * The class catalog and its leaderboards. Every class read carries the class rule; writes carry
 * "managed by the viewer" (own classes for instructors, any for admins) in their WHERE.
 */
export function createClassesRepository(db: Kysely<DB>, viewer: Viewer) {
  const visible = classVisibleTo(viewer);
  const managed = classManagedBy(viewer);

  function withInstructor() {
    return db
      .selectFrom('classes')
      .innerJoin('users', 'users.id', 'classes.instructor_id')
      .select([
        'classes.id',
        'classes.title',
        'classes.discipline',
        'classes.duration_seconds',
        'classes.difficulty',
        'classes.aired_at',
        'users.id as instructor_id',
        'users.username',
        'users.display_name',
        'users.privacy_profile',
      ])
      .where(visible);
  }

  type ClassRow = Awaited<ReturnType<ReturnType<typeof withInstructor>['executeTakeFirstOrThrow']>>;

  function toClass(row: ClassRow): FitnessClass {
    return {
      id: row.id,
      title: row.title,
      discipline: row.discipline,
      instructor: toCard({ id: row.instructor_id, username: row.username, display_name: row.display_name, privacy_profile: row.privacy_profile }),
      durationSeconds: row.duration_seconds,
      difficulty: row.difficulty,
      airedAt: row.aired_at,
    };
  }

  async function get(id: string): Promise<FitnessClass | null> {
    const row = await withInstructor().where('classes.id', '=', id).executeTakeFirst();
    return row ? toClass(row) : null;
  }

  async function refusal<T>(id: string): Promise<WriteOutcome<T>> {
    return (await get(id)) ? { kind: 'forbidden' } : { kind: 'absent' };
  }

  /** Instructors teach their own classes; an admin may name an instructor, else teaches it. */
  async function instructorFor(input: NewClass): Promise<string> {
    const me = requireMember(viewer);
    if (me.role === 'instructor') {
      if (input.instructorId !== undefined && input.instructorId !== me.userId) {
        throw new AppError('forbidden', { detail: 'Instructors create classes they teach themselves.' });
      }
      return me.userId;
    }
    if (me.role !== 'admin') throw new AppError('forbidden', { detail: 'Only instructors and administrators create classes.' });
    if (input.instructorId === undefined) return me.userId;
    const instructor = await db
      .selectFrom('users')
      .select('id')
      .where('id', '=', input.instructorId)
      .where('role', '=', 'instructor')
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!instructor) throw new AppError('validation_failed', { detail: 'No such instructor.', errors: [{ path: '/instructorId', message: 'is not an active instructor' }] });
    return instructor.id;
  }

  return {
    get,

    list(page: PageRequest, discipline?: Discipline): Promise<Page<FitnessClass>> {
      return withInstructor()
        .$if(discipline !== undefined, (q) => q.where('classes.discipline', '=', discipline as Discipline))
        .$call(newestFirst('classes.aired_at', 'classes.id', page))
        .execute()
        .then((rows) => toPage(rows, page.limit, (row) => timeAndIdKey(row.aired_at, row.id), toClass));
    },

    async create(input: NewClass): Promise<FitnessClass> {
      const id = randomId();
      await db
        .insertInto('classes')
        .values({
          id,
          title: input.title,
          discipline: input.discipline,
          instructor_id: await instructorFor(input),
          duration_seconds: input.durationSeconds,
          difficulty: input.difficulty,
          aired_at: new Date(input.airedAt).toISOString(),
          created_at: nowIso(),
        })
        .execute();
      const created = await get(id);
      if (!created) throw new AppError('internal');
      return created;
    },

    async update(id: string, patch: ClassPatch): Promise<WriteOutcome<FitnessClass>> {
      const set = {
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.discipline !== undefined ? { discipline: patch.discipline } : {}),
        ...(patch.durationSeconds !== undefined ? { duration_seconds: patch.durationSeconds } : {}),
        ...(patch.difficulty !== undefined ? { difficulty: patch.difficulty } : {}),
        ...(patch.airedAt !== undefined ? { aired_at: new Date(patch.airedAt).toISOString() } : {}),
      };
      if (Object.keys(set).length === 0) throw new AppError('validation_failed', { detail: 'Nothing to change.', errors: [{ path: '/', message: 'must name a property to change' }] });
      const result = await db.updateTable('classes').set(set).where('classes.id', '=', id).where(managed).executeTakeFirst();
      if (result.numUpdatedRows === 0n) return refusal(id);
      const updated = await get(id);
      return updated ? { kind: 'ok', value: updated } : { kind: 'absent' };
    },

    /** Deletes a class; its workouts stay with their owners, without the class link. */
    async remove(id: string): Promise<WriteOutcome<true>> {
      const deleted = await db.transaction().execute(async (trx) => {
        const result = await trx.deleteFrom('classes').where('classes.id', '=', id).where(managed).executeTakeFirst();
        if (result.numDeletedRows === 0n) return false;
        await trx.updateTable('workouts').set({ class_id: null }).where('class_id', '=', id).execute();
        return true;
      });
      return deleted ? { kind: 'ok', value: true } : refusal(id);
    },

    /**
     * Ranks a class's workouts by output, ties to the earlier start. Owners who hide from
     * leaderboards, `only_me` workouts and suspended owners are absent; every other entry keeps
     * its rank and output, and carries the athlete's card only when the viewer may see that
     * workout (masked in SQL, so an anonymous entry never leaves the database with a name).
     */
    async leaderboard(classId: string, limit: number): Promise<LeaderboardEntry[] | null> {
      const theClass = await db.selectFrom('classes').select('id').where('classes.id', '=', classId).where(visible).executeTakeFirst();
      if (!theClass) return null;
      const rows = await db
        .selectFrom('workouts')
        .innerJoin('users as owner', 'owner.id', 'workouts.user_id')
        .select((eb) => {
          const named = workoutVisibleTo(viewer)(eb);
          return [
            'workouts.total_output_kj',
            eb.case().when(named).then(eb.ref('owner.id')).end().as('user_id'),
            eb.case().when(named).then(eb.ref('owner.username')).end().as('username'),
            eb.case().when(named).then(eb.ref('owner.display_name')).end().as('display_name'),
            eb.case().when(named).then(eb.ref('owner.privacy_profile')).end().as('privacy_profile'),
          ];
        })
        .where('workouts.class_id', '=', classId)
        .where('workouts.total_output_kj', 'is not', null)
        .where('workouts.visibility', '<>', 'only_me')
        .where('owner.privacy_leaderboard', '=', 'visible')
        .where('owner.status', '=', 'active')
        .orderBy('workouts.total_output_kj', 'desc')
        .orderBy('workouts.started_at', 'asc')
        .orderBy('workouts.id', 'asc')
        .limit(limit)
        .execute();
      return rows.map((row, index) => ({
        rank: index + 1,
        totalOutputKj: Number(row.total_output_kj),
        user:
          row.user_id && row.username && row.display_name && row.privacy_profile
            ? toCard({ id: row.user_id, username: row.username, display_name: row.display_name, privacy_profile: row.privacy_profile })
            : null,
      }));
    },
  };
}

export type ClassesRepository = ReturnType<typeof createClassesRepository>;

