import { type Transaction, sql } from 'kysely';
import type { DB, WorkoutVisibility } from '../db/schema.js';

const columns = {
  public: 'workout_count_public',
  followers: 'workout_count_followers',
  only_me: 'workout_count_only_me',
} as const satisfies Record<WorkoutVisibility, string>;

/**
 * Maintenance of a member's workout counters (src/db/member-counters.ts), one per visibility, so
 * that a profile read adds up the ones the viewer may see. Called in the transaction of the write,
 * for the row that write actually made, changed or deleted; the arithmetic happens in the UPDATE.
 */
export async function countWorkout(trx: Transaction<DB>, owner: string, visibility: WorkoutVisibility, delta: 1 | -1): Promise<void> {
  const column = sql.ref(columns[visibility]);
  await sql`update users set ${column} = ${column} + ${delta} where id = ${owner}`.execute(trx);
}

/** A workout moved from one visibility to another. */
export async function moveWorkout(trx: Transaction<DB>, owner: string, from: WorkoutVisibility, to: WorkoutVisibility): Promise<void> {
  if (from === to) return;
  const [source, target] = [sql.ref(columns[from]), sql.ref(columns[to])];
  await sql`update users set ${source} = ${source} - 1, ${target} = ${target} + 1 where id = ${owner}`.execute(trx);
}
