import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database, DialectName } from './database.js';
import { recountMemberCounters } from './member-counters.js';
import type { DB } from './schema.js';
import { blockColumns, writeBlocks } from './seed/blocks.js';
import { classColumns, writeClasses } from './seed/classes.js';
import { followColumns, writeFollows } from './seed/follows.js';
import { memberColumns, writeMembers } from './seed/members.js';
import { type Plan, maxRowsPerTable, planFor } from './seed/plan.js';
import { workoutColumns, writeWorkouts } from './seed/workouts.js';
import { withBulkLoadSettings, withIndexesDeferred } from './seed/bulk-load.js';
import { type Columns, createTableWriter } from './seed/writer.js';

export interface SeedOptions {
  users: number;
  workoutsPerUser: number;
  followsPerUser: number;
  classes: number;
  seed: number;
}

export type SeedPhase = 'members' | 'classes' | 'blocks' | 'follows' | 'workouts' | 'counters' | 'indexes' | 'commit';

/**
 * Where a run is. `done` and `total` count the phase's rows, except for blocks and follows, which
 * count members processed (their row totals are known only at the end), counters, which is 0 of 1
 * until the members' counters are recounted from the loaded rows, indexes, which counts
 * indexes and constraints rebuilt, and commit, which is 0 of 1 until the transaction commits.
 */
export interface SeedProgress {
  phase: SeedPhase;
  done: number;
  total: number;
}

export interface SeedSummary {
  users: number;
  instructors: number;
  privateProfiles: number;
  unsearchable: number;
  hiddenFromLeaderboards: number;
  suspended: number;
  /** Approved follow edges. */
  follows: number;
  /** Follow edges still pending (requests toward private profiles). */
  pendingRequests: number;
  blocks: number;
  classes: number;
  workouts: number;
  milliseconds: number;
}

/**
 * Bounds on the options: ids carry a 32-bit index per table (seed/uuid.ts), block pairs are keyed
 * by index × users within 2^53 (seed/blocks.ts), and the rest are sane sizes.
 */
export const seedLimits = {
  users: { min: 1, max: 50_000_000 },
  workoutsPerUser: { min: 0, max: 10_000 },
  followsPerUser: { min: 0, max: 10_000 },
  classes: { min: 0, max: 10_000_000 },
  seed: { min: 0, max: 2 ** 32 - 1 },
} as const satisfies Record<keyof SeedOptions, { min: number; max: number }>;

/** Why the options cannot be seeded, or null. */
export function seedOptionsProblem(options: SeedOptions): string | null {
  for (const [name, { min, max }] of Object.entries(seedLimits) as [keyof SeedOptions, { min: number; max: number }][]) {
    const value = options[name];
    if (!Number.isInteger(value) || value < min || value > max) return `${name} must be a whole number from ${min} to ${max}`;
  }
  if (options.users * options.workoutsPerUser > maxRowsPerTable) return `users × workoutsPerUser must not exceed ${maxRowsPerTable}`;
  return null;
}

/**
 * Deterministic synthetic data: the same options make the same rows, byte for byte, on SQLite and
 * PostgreSQL (docs/design.md, "Seeding", describes the mix). It runs in one transaction, so an
 * interrupted or failed run leaves the database as it was, and it refuses a database that already
 * has members: seeded ids, usernames and emails would collide with theirs, and a partial social
 * graph over someone's real members is not what anyone wants.
 */
export async function seedDatabase(database: Database, options: SeedOptions, onProgress: (progress: SeedProgress) => void = () => {}): Promise<SeedSummary> {
  const problem = seedOptionsProblem(options);
  if (problem) throw new AppError('validation_failed', { detail: problem });
  const started = performance.now();
  const plan = planFor(options);
  const { db, dialect } = database;
  // Checked before the bulk-load settings change anything, and again inside the transaction.
  await refuseUnlessEmpty(db);
  const rebuilding = (done: number, total: number) => onProgress({ phase: 'indexes', done, total });
  const counts = await withBulkLoadSettings(db, dialect, () =>
    db.transaction().execute(async (trx) => {
      await refuseUnlessEmpty(trx);
      const written = await withIndexesDeferred(trx, dialect, seededTables, () => writeAll(plan, trx, dialect, onProgress), rebuilding);
      onProgress({ phase: 'commit', done: 0, total: 1 });
      return written;
    }),
  );
  onProgress({ phase: 'commit', done: 1, total: 1 });
  return { ...counts, milliseconds: Math.round(performance.now() - started) };
}

const seededTables = ['users', 'classes', 'blocks', 'follows', 'workouts'] as const;

/** The phases in dependency order: each later one needs what an earlier one kept. */
async function writeAll(plan: Plan, trx: Kysely<DB>, dialect: DialectName, onProgress: (progress: SeedProgress) => void): Promise<Omit<SeedSummary, 'milliseconds'>> {
  const writer = (table: keyof DB, columns: Columns) => createTableWriter(trx, dialect, table, columns);
  const report = (phase: SeedPhase, total: number) => (done: number) => onProgress({ phase, done, total });
  const members = await writeMembers(plan, writer('users', memberColumns), report('members', plan.users));
  const catalog = await writeClasses(plan, writer('classes', classColumns), report('classes', plan.classes));
  const blocks = await writeBlocks(plan, writer('blocks', blockColumns), report('blocks', plan.users));
  const follows = await writeFollows(plan, members.flags, blocks, writer('follows', followColumns), report('follows', plan.users));
  const workouts = await writeWorkouts(plan, members.flags, catalog, writer('workouts', workoutColumns), report('workouts', plan.users * plan.workoutsPerUser));
  // The counters the API keeps on write, from the rows just loaded: the same numbers the writes
  // would have made, in one grouped pass per counter instead of one update per row.
  onProgress({ phase: 'counters', done: 0, total: 1 });
  await recountMemberCounters(trx);
  onProgress({ phase: 'counters', done: 1, total: 1 });
  return { users: plan.users, ...members.counts, ...follows, blocks: blocks.count, classes: plan.classes, workouts };
}

async function refuseUnlessEmpty(db: Kysely<DB>): Promise<void> {
  const anyone = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (anyone) {
    throw new AppError('conflict', { detail: 'the database already has members; seed an empty database (a new file or a new PostgreSQL database)' });
  }
}
