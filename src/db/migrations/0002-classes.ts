import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The class catalog, and the indexes leaderboards and workout lists read by. An instructor's
 * classes go with their account (cascade); workouts then keep their data but lose the class link.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('classes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('discipline', 'text', (c) => c.notNull())
    .addColumn('instructor_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('duration_seconds', 'integer', (c) => c.notNull())
    .addColumn('difficulty', 'integer', (c) => c.notNull().check(sql`difficulty between 1 and 10`))
    .addColumn('aired_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('classes_instructor').on('classes').columns(['instructor_id']).execute();
  // Leaderboards: a class's workouts by output, best first, ties to the earlier start.
  await db.schema.createIndex('workouts_class_output').on('workouts').columns(['class_id', 'total_output_kj', 'started_at']).execute();
  // Workout lists: a member's workouts, newest first.
  await db.schema.createIndex('workouts_user_started').on('workouts').columns(['user_id', 'started_at', 'id']).execute();
}
