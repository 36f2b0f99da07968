import { type Migration, Migrator } from 'kysely';
import type { Database } from './database.js';
import * as core from './migrations/0001-core.js';
import * as classes from './migrations/0002-classes.js';
import * as securityStamps from './migrations/0003-security-stamps.js';

/** Migrations live in code (not a folder scan) so the compiled build and the tests run the same list. */
function migrationsFor(database: Database): Record<string, Migration> {
  return {
    '0001-core': { up: (db) => core.up(db, database.dialect) },
    '0002-classes': { up: (db) => classes.up(db, database.dialect) },
    '0003-security-stamps': { up: (db) => securityStamps.up(db, database.dialect) },
  };
}

export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrationsFor(database) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
