import { type Migration, Migrator } from 'kysely';
import type { Database } from './database.js';
import * as core from './migrations/0001-core.js';
import * as classes from './migrations/0002-classes.js';
import * as securityStamps from './migrations/0003-security-stamps.js';
import * as memberCounters from './migrations/0004-member-counters.js';
import * as leaderboardRankOrder from './migrations/0005-leaderboard-rank-order.js';

/** Migrations live in code (not a folder scan) so the compiled build and the tests run the same list. */
function migrationsFor(database: Database): Record<string, Migration> {
  return {
    '0001-core': { up: (db) => core.up(db, database.dialect) },
    '0002-classes': { up: (db) => classes.up(db, database.dialect) },
    '0003-security-stamps': { up: (db) => securityStamps.up(db, database.dialect) },
    '0004-member-counters': { up: (db) => memberCounters.up(db, database.dialect) },
    '0005-leaderboard-rank-order': { up: (db) => leaderboardRankOrder.up(db, database.dialect) },
  };
}

function migratorFor(database: Database): Migrator {
  return new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrationsFor(database) },
  });
}

export async function migrateToLatest(database: Database): Promise<string[]> {
  const { error, results } = await migratorFor(database).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The known migrations split by whether the database has run them; `current` when none is pending. */
export interface SchemaStatus {
  current: boolean;
  applied: string[];
  pending: string[];
}

/**
 * Compares the migrations the database records with the ones this build knows, without creating
 * anything: an unmigrated database (not even the migrations table) has every migration pending.
 */
export async function schemaStatus(database: Database): Promise<SchemaStatus> {
  const migrations = await migratorFor(database).getMigrations();
  const applied = migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
  return { current: pending.length === 0, applied, pending };
}
