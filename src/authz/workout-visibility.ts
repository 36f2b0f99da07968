import { sql } from 'kysely';
import { type Rule, allowAll, column, denyAll } from './rule.js';
import { approvedFollow, userVisibleTo } from './user-visibility.js';
import type { Viewer } from './viewer.js';

/**
 * A workout is visible to its owner; to anyone else only if the owner is visible to them and the
 * workout is `public` (owner's profile public, or the viewer an approved follower) or `followers`
 * (the viewer an approved follower). A private profile hides even its `public` workouts.
 */
export function workoutVisibleTo(viewer: Viewer, alias = 'workouts'): Rule {
  if (viewer.kind === 'system') return allowAll;
  if (viewer.kind === 'anonymous') return denyAll;
  const me = viewer.userId;
  const ownerVisible = userVisibleTo(viewer, 'owner');
  return (eb) => {
    const owner = column(alias, 'user_id');
    const visibility = column(alias, 'visibility');
    const follows = approvedFollow(eb, me, owner);
    return eb.or([
      eb(owner, '=', me),
      eb.exists(
        eb
          .selectFrom('users as owner')
          .select(sql.lit(1).as('one'))
          .where('owner.id', '=', owner)
          .where(ownerVisible)
          .where((inner) =>
            inner.or([
              inner.and([
                inner(visibility, '=', 'public'),
                inner.or([inner('owner.privacy_profile', '=', 'public'), follows]),
              ]),
              inner.and([inner(visibility, '=', 'followers'), follows]),
            ]),
          ),
      ),
    ]);
  };
}

/** Only the workout's owner: the rule in the WHERE of every workout write. */
export function workoutOwnedBy(viewer: Viewer, alias = 'workouts'): Rule {
  if (viewer.kind !== 'user') return denyAll;
  return (eb) => eb(column(alias, 'user_id'), '=', viewer.userId);
}
