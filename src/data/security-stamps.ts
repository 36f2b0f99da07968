import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { nowIso } from '../ids.js';

/**
 * Security stamps: a credential is valid only while it carries its member's current stamp
 * (see migrations/0003-security-stamps.ts), so rotating the stamp ends every credential issued
 * before, in the same statement that makes the change, whatever other requests are doing.
 */

/** A fresh security stamp: 128 random bits. */
export function newSecurityStamp(): string {
  return randomBytes(16).toString('base64url');
}
/**
 * Gives a member a new security stamp (with other column changes made in the same statement),
 * ending every credential that carries an older one. With `expected`, only if the stamp is still
 * that one; answers the new stamp, or null when no row matched.
 */
export async function rotateSecurityStamp(
  trx: Transaction<DB>,
  userId: string,
  expected: string | null,
  changes: Partial<Pick<DB['users'], 'password_hash' | 'status'>> = {},
): Promise<string | null> {
  const stamp = newSecurityStamp();
  const result = await trx
    .updateTable('users')
    .set({ ...changes, security_stamp: stamp, updated_at: nowIso() })
    .where('id', '=', userId)
    .$if(expected !== null, (q) => q.where('security_stamp', '=', expected as string))
    .executeTakeFirst();
  return result.numUpdatedRows === 0n ? null : stamp;
}
