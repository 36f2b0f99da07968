import { type Expression, sql } from 'kysely';
import type { AnyBuilder } from '../authz/rule.js';
import type { Viewer } from '../authz/viewer.js';

const count = sql<number>`cast(count(*) as integer)`;

/**
 * The profile view's counts as the viewer could list them (API.md: no totals over invisible
 * rows), from the counters kept on write (src/db/member-counters.ts) instead of from the rows.
 * The stored follower and following counts already leave out suspended members; what the viewer
 * may not list beyond that is the members in a block with the viewer (either direction), so the
 * read subtracts those of them that the stored count includes. That correction walks the viewer's
 * own blocks, each checked by primary-key lookups, so a read costs the same for a member with a
 * million followers as for one with ten. `u` is the profile row, with its stored counters.
 */
export function profileCounts(eb: AnyBuilder, viewer: Viewer, alias: string) {
  const subject = sql.ref(`${alias}.id`);
  const stored = (column: string) => eb.ref(`${alias}.${column}`);
  const followerCount = minusHidden(eb, viewer, stored('follower_count'), (other) => [other, subject]);
  const followingCount = minusHidden(eb, viewer, stored('following_count'), (other) => [subject, other]);
  return { followerCount, followingCount, workoutCount: workoutCount(eb, viewer, alias) };
}

/**
 * `stored` minus the active members in a block with the viewer who are joined to the subject by
 * an approved edge (`edge` gives its follower and followee). A member who blocked the viewer and
 * was blocked back is one member: `union` counts them once.
 */
function minusHidden(eb: AnyBuilder, viewer: Viewer, stored: Expression<number>, edge: (other: Expression<unknown>) => [Expression<unknown>, Expression<unknown>]) {
  if (viewer.kind !== 'user') return stored;
  const me = viewer.userId;
  const inBlock = eb
    .selectFrom('blocks')
    .select('blocks.blocked_id as other_id')
    .where('blocks.blocker_id', '=', me)
    .union(eb.selectFrom('blocks').select('blocks.blocker_id as other_id').where('blocks.blocked_id', '=', me))
    .as('in_block');
  const other = sql.ref('in_block.other_id');
  const [follower, followee] = edge(other);
  const hidden = eb
    .selectFrom(inBlock)
    .select(count.as('n'))
    .where((w) =>
      w.and([
        w.exists(w.selectFrom('users as other').select(sql.lit(1).as('one')).where('other.id', '=', other).where('other.status', '=', 'active')),
        // A scalar subquery rather than EXISTS: PostgreSQL turns EXISTS into a semi-join, which it
        // may plan as a walk over the subject's edges; a scalar subquery stays one point lookup of
        // the edge per blocked member, whatever the planner thinks of the subject.
        w(
          w
            .selectFrom('follows as edge')
            .select(sql.lit(1).as('one'))
            .where('edge.follower_id', '=', follower)
            .where('edge.followee_id', '=', followee)
            .where('edge.state', '=', 'approved')
            .limit(1),
          'is not',
          null,
        ),
      ]),
    );
  return sql<number>`${stored} - ${hidden}`;
}

/**
 * The subject's workouts the viewer may see, by visibility (workout-visibility.ts): all of them
 * for the owner, public and followers-only ones for an approved follower, public ones for anyone
 * else who sees the profile (which is then public). The system viewer sees every workout.
 */
function workoutCount(eb: AnyBuilder, viewer: Viewer, alias: string) {
  const stored = (column: string) => sql.ref(`${alias}.${column}`);
  const all = sql<number>`${stored('workout_count_public')} + ${stored('workout_count_followers')} + ${stored('workout_count_only_me')}`;
  if (viewer.kind !== 'user') return all;
  const me = viewer.userId;
  const subject = sql.ref(`${alias}.id`);
  const follows = eb.exists(
    eb
      .selectFrom('follows')
      .select(sql.lit(1).as('one'))
      .where('follows.follower_id', '=', me)
      .where('follows.followee_id', '=', subject)
      .where('follows.state', '=', 'approved'),
  );
  const shown = eb
    .case()
    .when(subject, '=', me)
    .then(all)
    .when(follows)
    .then(sql<number>`${stored('workout_count_public')} + ${stored('workout_count_followers')}`)
    .else(stored('workout_count_public'))
    .end();
  return sql<number>`${shown}`;
}
