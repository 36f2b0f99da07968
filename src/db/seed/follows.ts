import type { FollowsTable } from '../schema.js';
import type { BlockSet } from './blocks.js';
import { isoTimestamp } from './iso-time.js';
import { type MemberFlags, isPrivate, memberCreatedMs, memberId, membersInIdOrder } from './members.js';
import { type Plan, calendar, proportions } from './plan.js';
import { type Stream, createStream, streamKind } from './random.js';
import type { Columns, TableWriter } from './writer.js';

export const followColumns = {
  follower_id: 'text',
  followee_id: 'text',
  state: 'text',
  created_at: 'text',
} as const satisfies Record<keyof FollowsTable, string> & Columns;

export interface FollowCounts {
  follows: number;
  pendingRequests: number;
}

/**
 * How many members one member follows: exponential around the requested mean, so many follow a
 * few and some follow many, as on real networks. Capped so tiny data sets stay sensible.
 */
function followCount(plan: Plan, s: Stream): number {
  if (plan.followsPerUser === 0) return 0;
  const drawn = Math.round(-plan.followsPerUser * Math.log(1 - s.float()));
  return Math.min(drawn, plan.users - 1, 10 * plan.followsPerUser);
}

/**
 * The instructor a follow goes to: Zipf-distributed over the instructors (the k-th most followed
 * draws 1/k of the first one's share), so a handful of them have a large share of all members
 * as followers, as on real platforms, and no read path can hide a per-follower cost behind
 * evenly spread counts. Cumulative weights are built once per plan; a draw is a binary search.
 */
function instructorPicker(plan: Plan): (s: Stream) => number {
  const cumulative = new Float64Array(plan.instructors);
  let total = 0;
  for (let k = 0; k < plan.instructors; k++) cumulative[k] = total += 1 / (k + 1);
  return (s) => {
    const target = s.float() * total;
    let low = 0;
    let high = plan.instructors - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? 0) > target) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}

/**
 * Whom to follow: instructors draw a fixed share (Zipf among them); otherwise the square of a
 * uniform draw favours low indices, the long-standing members, so follower counts are skewed as
 * they are in life.
 */
function pickFollowee(plan: Plan, pickInstructor: (s: Stream) => number, s: Stream): number {
  if (plan.instructors > 0 && s.chance(proportions.followsToInstructors)) return pickInstructor(s);
  const u = s.float();
  return Math.floor(plan.users * u * u);
}

/**
 * Follow edges, member by member, in the order of the followers' ids (see membersInIdOrder). Toward a public profile a follow is approved; toward a private
 * one a share stays pending (a request). No one follows themself, and no edge joins a blocked
 * pair in either direction.
 */
export async function writeFollows(plan: Plan, flags: MemberFlags, blocks: BlockSet, writer: TableWriter, progress: (done: number) => void): Promise<FollowCounts> {
  const counts: FollowCounts = { follows: 0, pendingRequests: 0 };
  const chosen = new Set<number>();
  const pickInstructor = instructorPicker(plan);
  const order = membersInIdOrder(plan);
  for (let position = 0; position < plan.users; position++) {
    const follower = order[position] as number;
    const s = createStream(plan.seed, streamKind.follows, follower);
    const wanted = followCount(plan, s);
    if (wanted === 0) continue;
    chosen.clear();
    const followerId = memberId(plan, follower);
    const followerSince = memberCreatedMs(plan, follower);
    // A few tries per edge: collisions with oneself, earlier picks or blocks are redrawn.
    for (let attempt = 0; attempt < wanted * 3 && chosen.size < wanted; attempt++) {
      const followee = pickFollowee(plan, pickInstructor, s);
      if (followee === follower || chosen.has(followee) || blocks.between(follower, followee)) continue;
      chosen.add(followee);
      const pending = isPrivate(flags, followee) && s.chance(proportions.pendingTowardPrivate);
      const since = Math.max(followerSince, memberCreatedMs(plan, followee));
      const createdMs = since + Math.floor(s.float() * (calendar.now - since));
      if (pending) counts.pendingRequests++;
      else counts.follows++;
      const sent = writer.add([followerId, memberId(plan, followee), pending ? 'pending' : 'approved', isoTimestamp(createdMs)]);
      if (sent) {
        await sent;
        progress(position);
      }
    }
  }
  await writer.end();
  progress(plan.users);
  return counts;
}
