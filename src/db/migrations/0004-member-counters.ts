import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import { recountMemberCounters } from '../member-counters.js';

/**
 * Counters kept on write for the profile view's counts, so a read costs the same for a member
 * with a million followers as for one with none (src/db/member-counters.ts says what each
 * counts). Added at 0 and filled from the existing rows in the same migration.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  for (const column of ['follower_count', 'following_count', 'workout_count_public', 'workout_count_followers', 'workout_count_only_me']) {
    await db.schema.alterTable('users').addColumn(column, 'integer', (c) => c.notNull().defaultTo(0)).execute();
  }
  await recountMemberCounters(db);
}
