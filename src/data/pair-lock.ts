import { type Transaction, sql } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { DB } from '../db/schema.js';

/**
 * Serialises the transactions that change the relationship between two members (following and
 * blocking), so that their decisions cannot interleave: without it, on PostgreSQL a follow that
 * checked "not blocked" before a concurrent block committed would insert its edge after the
 * block had deleted the edges, and the follow would outlive the block.
 *
 * PostgreSQL: a transaction-scoped advisory lock on the unordered pair, so only work on the same
 * two members waits (a popular member's row is never a hot spot); a hash collision between two
 * pairs only makes one wait for the other. SQLite: nothing to do, since Kysely runs SQLite
 * transactions one at a time on its single connection.
 */
export type PairLock = (trx: Transaction<DB>, a: string, b: string) => Promise<void>;

export function pairLockFor(dialect: DialectName): PairLock {
  if (dialect === 'sqlite') return async () => {};
  return async (trx, a, b) => {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    await sql`select pg_advisory_xact_lock(hashtextextended(${`member-pair:${key}`}, 0))`.execute(trx);
  };
}
