import { type Transaction, sql } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * Maintenance of `follower_count` and `following_count` (src/db/member-counters.ts): an approved
 * edge counts for each side while the member at the other side is active. Every call is made in
 * the transaction of the change, for rows that change actually made (as its RETURNING or row
 * count reported), under the locks of member-locks.ts; the arithmetic happens in the UPDATE.
 */

/**
 * An approved edge `follower → followee` appeared (`+1`) or disappeared (`-1`). The caller holds
 * MemberLocks.edges for the two, which also locked both rows; they are updated in the same id
 * order all the same.
 */
export async function countEdge(trx: Transaction<DB>, follower: string, followee: string, delta: 1 | -1): Promise<void> {
  const followerSide = () =>
    sql`update users set following_count = following_count + ${delta}
        where id = ${follower} and exists (select 1 from users other where other.id = ${followee} and other.status = 'active')`.execute(trx);
  const followeeSide = () =>
    sql`update users set follower_count = follower_count + ${delta}
        where id = ${followee} and exists (select 1 from users other where other.id = ${follower} and other.status = 'active')`.execute(trx);
  if (follower < followee) {
    await followerSide();
    await followeeSide();
  } else {
    await followeeSide();
    await followerSide();
  }
}

/**
 * The member's approved edges start (`+1`) or stop (`-1`) counting for the members at their other
 * ends, if the member is active at this moment: call it with -1 before a suspension or a deletion
 * and with +1 after an unsuspension that changed the status. The member's own counters do not
 * move: they depend on the others' statuses, not on theirs.
 */
export async function shiftCounterparts(trx: Transaction<DB>, member: string, delta: 1 | -1): Promise<void> {
  const active = sql`exists (select 1 from users m where m.id = ${member} and m.status = 'active')`;
  await sql`update users set follower_count = follower_count + ${delta}
            where id in (select followee_id from follows where follower_id = ${member} and state = 'approved') and ${active}`.execute(trx);
  await sql`update users set following_count = following_count + ${delta}
            where id in (select follower_id from follows where followee_id = ${member} and state = 'approved') and ${active}`.execute(trx);
}
