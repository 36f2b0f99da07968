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
  /** Before changing edges between `a` and `b`: their statuses stay as they are until commit. */
  edges(trx: Transaction<DB>, a: string, b: string): Promise<void>;
  /** Before changing a member's status or deleting them: their edges stay as they are until commit. */
  status(trx: Transaction<DB>, member: string): Promise<void>;
  /**
   * Row locks on the member and everyone joined to them by an approved edge, taken in id order
   * before their counters change. Edge changes update their two rows in id order too, so the
   * row locks of the two kinds of change can never wait on each other in a cycle.
   */
  counterparts(trx: Transaction<DB>, member: string): Promise<void>;
}

const key = (member: string) => sql`hashtextextended(${`member:${member}`}, 0)`;

export function memberLocksFor(dialect: DialectName): MemberLocks {
  if (dialect === 'sqlite') return { edges: async () => {}, status: async () => {}, counterparts: async () => {} };
  return {
    async edges(trx, a, b) {
      const [first, second] = a < b ? [a, b] : [b, a];
      await sql`select pg_advisory_xact_lock_shared(${key(first)}), pg_advisory_xact_lock_shared(${key(second)})`.execute(trx);
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
        for update`.execute(trx);
    },
  };
}
