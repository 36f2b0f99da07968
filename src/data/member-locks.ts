import { type Transaction, sql } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { DB } from '../db/schema.js';

/**
 * Keeps the follow counters exact under concurrency (follow-counters.ts). Whether an approved
 * edge counts depends on the status of the member at its other end, so a change to an edge and a
 * change to that member's status (suspension, unsuspension, deletion) must not interleave:
 * without this, on PostgreSQL a follow that read "active" could insert its edge just after a
 * concurrent suspension had decremented its member's edges, and the count would stay one too high.
 *
 * PostgreSQL: transaction-scoped advisory locks per member. Edge changes hold them shared, so
 * they never wait for each other (a popular member's followers do not queue here); a status
 * change holds its member's exclusively, waiting for the edge changes in flight and holding off
 * new ones. SQLite: nothing to do, since Kysely runs SQLite transactions one at a time.
 */
export interface MemberLocks {
  /**
   * Before changing edges between `a` and `b`: their statuses stay as they are until commit, and
   * both member rows are locked (in id order) for the counter updates to come.
   */
  edges(trx: Transaction<DB>, a: string, b: string): Promise<void>;
  /** Before changing a member's workout counters: their row, locked for the update to come. */
  row(trx: Transaction<DB>, member: string): Promise<void>;
  /** Before changing a member's status or deleting them: their edges stay as they are until commit. */
  status(trx: Transaction<DB>, member: string): Promise<void>;
  /**
   * Row locks on the member and everyone joined to them by an approved edge, taken in id order
   * before their counters change.
   */
  counterparts(trx: Transaction<DB>, member: string): Promise<void>;
}

/*
 * Why member rows are locked up front, on PostgreSQL. Every transaction that changes counters
 * takes the row locks of the members whose counters it changes first, all at once, in id order,
 * and before any statement that would lock those rows more weakly: inserting a follow, a block or
 * a workout takes a key-share lock on the member rows it refers to, and a transaction that later
 * upgraded that lock for its counter update could deadlock with another one queued in between.
 * A member's own row also comes before their workout rows, as in an account deletion's cascade.
 * With one order for everyone, no two of these transactions can wait on each other in a cycle.
 */

const key = (member: string) => sql`hashtextextended(${`member:${member}`}, 0)`;

export function memberLocksFor(dialect: DialectName): MemberLocks {
  if (dialect === 'sqlite') return { edges: async () => {}, row: async () => {}, status: async () => {}, counterparts: async () => {} };
  return {
    async edges(trx, a, b) {
      const [first, second] = a < b ? [a, b] : [b, a];
      await sql`select pg_advisory_xact_lock_shared(${key(first)}), pg_advisory_xact_lock_shared(${key(second)})`.execute(trx);
      await sql`select id from users where id in (${first}, ${second}) order by id for no key update`.execute(trx);
    },
    async row(trx, member) {
      await sql`select id from users where id = ${member} for no key update`.execute(trx);
    },
    async status(trx, member) {
      await sql`select pg_advisory_xact_lock(${key(member)})`.execute(trx);
    },
    async counterparts(trx, member) {
      await sql`
        select id from users
        where id = ${member}
          or id in (select followee_id from follows where follower_id = ${member} and state = 'approved')
          or id in (select follower_id from follows where followee_id = ${member} and state = 'approved')
        order by id
        for no key update`.execute(trx);
    },
  };
}
