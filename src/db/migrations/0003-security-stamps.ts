import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Security stamps (the model is ASP.NET Core Identity's SecurityStamp). Every member has a random
 * stamp, and every credential carries the stamp its member had when it was issued; a credential
 * is valid only while the two are equal. A password change or a suspension rotates the stamp, so
 * every credential issued before it dies at once, including one being issued by a request that
 * races the change, which deleting rows alone cannot catch. Rows from before this migration all
 * share the empty stamp, so they keep working until their member's first rotation.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('users').addColumn('security_stamp', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('credentials').addColumn('security_stamp', 'text', (c) => c.notNull().defaultTo('')).execute();
}
