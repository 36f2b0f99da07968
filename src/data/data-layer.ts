import { sql } from 'kysely';
import type { Viewer } from '../authz/viewer.js';
import { type Database, openDatabase } from '../db/database.js';
import { migrateToLatest, schemaStatus } from '../db/migrate.js';
import { type SeedOptions, type SeedProgress, seedDatabase } from '../db/seed.js';
import { createAccountStore } from './accounts.js';
import { createAdminRepository } from './admin.js';
import { createBlocksRepository } from './blocks.js';
import { createClassesRepository } from './classes.js';
import { createCredentialsRepository } from './credentials.js';
import { createFollowsRepository } from './follows.js';
import { createMeRepository } from './me.js';
import type { PageRequest } from './pagination.js';
import { memberLocksFor } from './member-locks.js';
import { pairLockFor } from './pair-lock.js';
import { type RequestContext, noRequestContext } from './request-context.js';
import { asActivity, listSecurityEvents } from './security-events.js';
import { createUsersRepository } from './users.js';
import { createWorkoutsRepository } from './workouts.js';
import { requireMember } from '../authz/require-viewer.js';

export type { SchemaStatus } from '../db/migrate.js';
export type { SeedOptions, SeedProgress, SeedSummary } from '../db/seed.js';

/**
 * The data layer's whole surface. Outside this folder nobody holds the database handle: handlers
 * get `forViewer(viewer)`, whose every method is scoped to that viewer, and authentication gets
 * the account store.
 */
export function createDataLayer(database: Database) {
  const { db } = database;
  const memberLocks = memberLocksFor(database.dialect);
  const accounts = createAccountStore(db, memberLocks);
  const lockPair = pairLockFor(database.dialect);

  function forViewer(viewer: Viewer, context: RequestContext = noRequestContext) {
    const users = createUsersRepository(db, viewer);
    return {
      viewer,
      users,
      me: createMeRepository(db, viewer, users, context),
      follows: createFollowsRepository(db, viewer, lockPair, memberLocks),
      blocks: createBlocksRepository(db, viewer, lockPair, memberLocks),
      credentials: createCredentialsRepository(db, viewer, context),
      admin: createAdminRepository(db, viewer, context, memberLocks),
      workouts: createWorkoutsRepository(db, viewer, memberLocks),
      classes: createClassesRepository(db, viewer),
      async securityActivity(page: PageRequest) {
        const me = requireMember(viewer).userId;
        return asActivity(await listSecurityEvents(db, { subjectId: me }, page));
      },
    };
  }

  return {
    dialect: database.dialect,
    accounts,
    forViewer,
    migrate: () => migrateToLatest(database),
    /** Whether the database has run every migration this build knows (serve and /readyz ask). */
    schemaStatus: () => schemaStatus(database),
    /** Synthetic data for development and load tests (`paceline seed`); a job, not a request. */
    seed: (options: SeedOptions, onProgress?: (progress: SeedProgress) => void) => seedDatabase(database, options, onProgress),
    async ping(): Promise<void> {
      await sql`select 1`.execute(db);
    },
    close: () => database.close(),
  };
}

export type DataLayer = ReturnType<typeof createDataLayer>;
export type ViewerData = ReturnType<DataLayer['forViewer']>;

/** Opens the database at `url` and wraps it; the one way the rest of Paceline gets data access. */
export function openDataLayer(url: string): DataLayer {
  return createDataLayer(openDatabase(url));
}
