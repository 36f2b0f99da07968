import { type Expression, type SqlBool, sql } from 'kysely';
import { type AnyBuilder, type Rule, allowAll, column, denyAll } from './rule.js';
import type { Viewer } from './viewer.js';

/**
 * "The viewer may know this member exists" (the card view): the member is active and neither has
 * blocked the other. Suspended members and blocked pairs are indistinguishable from absent ones.
 */
export function userVisibleTo(viewer: Viewer, alias = 'users'): Rule {
  if (viewer.kind === 'system') return allowAll;
  if (viewer.kind === 'anonymous') return denyAll;
  const me = viewer.userId;
  return (eb) =>
    eb.and([
      eb(column(alias, 'status'), '=', 'active'),
      eb.not(blockBetween(eb, me, column(alias, 'id'))),
    ]);
}

/**
 * "The viewer may see this member's profile view": visible, and the viewer is the member, or the
 * profile is public, or the viewer is an approved follower. Pending requests grant nothing.
 */
export function profileVisibleTo(viewer: Viewer, alias = 'users'): Rule {
  if (viewer.kind === 'system') return allowAll;
  if (viewer.kind === 'anonymous') return denyAll;
  const me = viewer.userId;
  const visible = userVisibleTo(viewer, alias);
  return (eb) =>
    eb.and([
      visible(eb),
      eb.or([
        eb(column(alias, 'id'), '=', me),
        eb(column(alias, 'privacy_profile'), '=', 'public'),
        approvedFollow(eb, me, column(alias, 'id')),
      ]),
    ]);
}

/** Only the member themself: the rule for the self view and for every write to one's own row. */
export function selfRule(viewer: Viewer, alias = 'users'): Rule {
  if (viewer.kind !== 'user') return denyAll;
  return (eb) => eb(column(alias, 'id'), '=', viewer.userId);
}

/** A block in either direction between `a` and `b`; each side is a primary-key point lookup. */
export function blockBetween(eb: AnyBuilder, a: string, b: Expression<unknown>): Expression<SqlBool> {
  return eb.or([
    eb.exists(
      eb
        .selectFrom('blocks')
        .select(sql.lit(1).as('one'))
        .where('blocks.blocker_id', '=', a)
        .where('blocks.blocked_id', '=', b),
    ),
    eb.exists(
      eb
        .selectFrom('blocks')
        .select(sql.lit(1).as('one'))
        .where('blocks.blocker_id', '=', b)
        .where('blocks.blocked_id', '=', a),
    ),
  ]);
}

/** `follower` is an approved follower of `followee`. */
export function approvedFollow(eb: AnyBuilder, follower: string, followee: Expression<unknown>): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('follows')
      .select(sql.lit(1).as('one'))
      .where('follows.follower_id', '=', follower)
      .where('follows.followee_id', '=', followee)
      .where('follows.state', '=', 'approved'),
  );
}
