import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Leaderboards rank a class's workouts by output, best first, ties to the earlier start, then by
 * id. An index in exactly that order lets the ranking walk it and stop at the limit; the index it
 * replaces ran output and start the same way, so the database sorted every workout of the class
 * (59k and more for a popular class) before it could take the top 20.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('workouts_class_rank').on('workouts').columns(['class_id', 'total_output_kj desc', 'started_at', 'id']).execute();
  await db.schema.dropIndex('workouts_class_output').execute();
}
