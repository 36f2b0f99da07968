import { type Kysely, Migrator } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.js';
import * as core from '../src/db/migrations/0001-core.js';
import * as classes from '../src/db/migrations/0002-classes.js';
import * as securityStamps from '../src/db/migrations/0003-security-stamps.js';
import type { DB } from '../src/db/schema.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * Migration 0004 adds the member counters to a database that already has members, follows and
 * workouts, and fills them from those rows: suspended members' edges and pending requests count
 * for no one, and workouts are counted per visibility.
 */
describeEachDialect('migration 0004 fills the member counters from existing rows', (dialect) => {
  let database: TestDatabase;
  let handle: Database;

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { migrate: false, file: true });
    handle = openDatabase(database.url);
    // The schema as it was before the counters.
    const before = new Migrator({
      db: handle.db,
      provider: {
        getMigrations: async () => ({
          '0001-core': { up: (db: Kysely<unknown>) => core.up(db, dialect) },
          '0002-classes': { up: (db: Kysely<unknown>) => classes.up(db, dialect) },
          '0003-security-stamps': { up: (db: Kysely<unknown>) => securityStamps.up(db, dialect) },
        }),
      },
    });
    const { error } = await before.migrateToLatest();
    if (error) throw error;
  });

  afterAll(async () => {
    await handle?.close();
    await database?.dispose();
  });

  it('counts approved edges of active members and workouts per visibility', async () => {
    const register = (username: string) => database.data.accounts.register({ username, email: `${username}@example.test`, passwordHash: '!not-a-hash' });
    const [star, fan, other, banned] = [await register('star'), await register('fan'), await register('other'), await register('banned')];
    // Raw rows, as an older build wrote them (the counters' columns do not exist yet).
    const db = handle.db as unknown as Kysely<Omit<DB, 'users'> & { users: { id: string; status: string } }>;
    const edge = (follower: string, followee: string, state: 'approved' | 'pending') => ({ follower_id: follower, followee_id: followee, state, created_at: '2026-01-01T00:00:00.000Z' });
    await db.insertInto('follows').values([edge(fan, star, 'approved'), edge(other, star, 'approved'), edge(banned, star, 'approved'), edge(star, fan, 'pending'), edge(star, banned, 'approved')]).execute();
    await db.updateTable('users').set({ status: 'suspended' }).where('id', '=', banned).execute();
    const workout = (id: string, visibility: 'public' | 'followers' | 'only_me') => ({
      id,
      user_id: star,
      class_id: null,
      discipline: 'cycling' as const,
      title: 'ride',
      started_at: '2026-01-01T06:00:00.000Z',
      duration_seconds: 1800,
      total_output_kj: null,
      avg_cadence_rpm: null,
      avg_heart_rate_bpm: null,
      max_heart_rate_bpm: null,
      distance_km: null,
      calories: null,
      visibility,
      created_at: '2026-01-01T07:00:00.000Z',
    });
    await db.insertInto('workouts').values([workout('w1', 'public'), workout('w2', 'public'), workout('w3', 'followers'), workout('w4', 'only_me')]).execute();

    expect(await database.data.migrate()).toContain('0004-member-counters');

    const rows = await handle.db
      .selectFrom('users')
      .select(['id', 'follower_count', 'following_count', 'workout_count_public', 'workout_count_followers', 'workout_count_only_me'])
      .execute();
    const of = (id: string) => {
      const { id: _, ...counters } = rows.find((row) => row.id === id)!;
      return Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, Number(v)]));
    };
    // The suspended member's follow does not count for the star, nor the star's follow of them.
    expect(of(star)).toEqual({ follower_count: 2, following_count: 0, workout_count_public: 2, workout_count_followers: 1, workout_count_only_me: 1 });
    expect(of(fan)).toEqual({ follower_count: 0, following_count: 1, workout_count_public: 0, workout_count_followers: 0, workout_count_only_me: 0 });
    // A suspended member's own counters still count active others, as they will after unsuspension.
    expect(of(banned)).toEqual({ follower_count: 1, following_count: 1, workout_count_public: 0, workout_count_followers: 0, workout_count_only_me: 0 });
  });
});
