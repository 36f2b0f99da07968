import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Accounts, credentials, the social graph, workouts and the security event log.
 * Text keys that prefix search walks use byte order (COLLATE "C" on PostgreSQL; SQLite's default
 * BINARY), so `key >= q AND key < q || U+FFFF` is an index range scan on both dialects.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const byteOrder = dialect === 'postgres' ? sql`collate "C"` : sql``;
  const real = dialect === 'postgres' ? 'double precision' : 'real';

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique().modifyFront(byteOrder))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('display_name_key', 'text', (c) => c.notNull().modifyFront(byteOrder))
    .addColumn('bio', 'text')
    .addColumn('location', 'text')
    .addColumn('birthday', 'text')
    .addColumn('gender', 'text')
    .addColumn('weight_kg', real)
    .addColumn('height_cm', real)
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('member', 'instructor', 'admin')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'suspended')`))
    .addColumn('privacy_profile', 'text', (c) => c.notNull().check(sql`privacy_profile in ('public', 'private')`))
    .addColumn('privacy_searchable', 'integer', (c) => c.notNull())
    .addColumn('privacy_leaderboard', 'text', (c) => c.notNull().check(sql`privacy_leaderboard in ('visible', 'hidden')`))
    .addColumn('privacy_default_workout_visibility', 'text', (c) =>
      c.notNull().check(sql`privacy_default_workout_visibility in ('public', 'followers', 'only_me')`),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_display_name_key').on('users').columns(['display_name_key', 'id']).execute();

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('session', 'token')`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text', (c) => c.notNull())
    .addColumn('idle_expires_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credentials_user').on('credentials').columns(['user_id', 'kind']).execute();

  await db.schema
    .createTable('follows')
    .addColumn('follower_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('followee_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('approved', 'pending')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('follows_pk', ['follower_id', 'followee_id'])
    .execute();
  await db.schema.createIndex('follows_followee').on('follows').columns(['followee_id', 'state', 'follower_id']).execute();

  await db.schema
    .createTable('blocks')
    .addColumn('blocker_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('blocked_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema.createIndex('blocks_blocked').on('blocks').columns(['blocked_id', 'blocker_id']).execute();

  await db.schema
    .createTable('workouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('class_id', 'text')
    .addColumn('discipline', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('duration_seconds', 'integer', (c) => c.notNull())
    .addColumn('total_output_kj', real)
    .addColumn('avg_cadence_rpm', real)
    .addColumn('avg_heart_rate_bpm', real)
    .addColumn('max_heart_rate_bpm', real)
    .addColumn('distance_km', real)
    .addColumn('calories', real)
    .addColumn('visibility', 'text', (c) => c.notNull().check(sql`visibility in ('public', 'followers', 'only_me')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('workouts_user').on('workouts').columns(['user_id', 'visibility']).execute();

  await db.schema
    .createTable('security_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_role', 'text')
    .addColumn('subject_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('security_events_subject').on('security_events').columns(['subject_id', 'id']).execute();
  await db.schema.createIndex('security_events_type').on('security_events').columns(['type', 'id']).execute();
  await db.schema.createIndex('security_events_actor').on('security_events').columns(['actor_id', 'id']).execute();
}
