/**
 * The profile read as it was before member counters: the same statement as
 * src/data/users.ts's, except that followerCount, followingCount and workoutCount are counted
 * from the rows on every read (every approved edge of the target joined to the member at its
 * other end, each checked for blocks with the viewer; every workout checked by the workout rule).
 * Kept here only so bench/read-path.ts can time it side by side with the current read.
 */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { AnyBuilder } from '../src/authz/rule.js';
import { profileVisibleTo, userVisibleTo } from '../src/authz/user-visibility.js';
import type { Viewer } from '../src/authz/viewer.js';
import { workoutVisibleTo } from '../src/authz/workout-visibility.js';
import { preparedQuery } from '../src/data/prepared-query.js';
import { type UserView } from '../src/data/users.js';
import { cardColumns, toCard, toProfile } from '../src/data/views.js';
import type { DB } from '../src/db/schema.js';

const count = sql<number>`cast(count(*) as integer)`;

function legacyProfileRead(db: Kysely<DB>, viewer: Viewer, where: (eb: AnyBuilder) => Expression<SqlBool>) {
  function relationCount(eb: AnyBuilder, subject: Expression<unknown>, direction: 'followers' | 'following') {
    const [subjectColumn, memberColumn] =
      direction === 'followers' ? (['f.followee_id', 'f.follower_id'] as const) : (['f.follower_id', 'f.followee_id'] as const);
    return eb
      .selectFrom('follows as f')
      .innerJoin('users as member', 'member.id', memberColumn)
      .select(count.as('n'))
      .where(subjectColumn, '=', subject)
      .where('f.state', '=', 'approved')
      .where(userVisibleTo(viewer, 'member'));
  }
  function workoutCount(eb: AnyBuilder, subject: Expression<unknown>) {
    return eb.selectFrom('workouts').select(count.as('n')).where('workouts.user_id', '=', subject).where(workoutVisibleTo(viewer));
  }
  const candidates = db
    .selectFrom('users')
    .select([...cardColumns, 'users.bio', 'users.location', 'users.created_at'])
    .select((eb) => eb.case().when(profileVisibleTo(viewer)(eb)).then(1).else(0).end().as('profile_visible'))
    .where(userVisibleTo(viewer))
    .where(where)
    .as('u');
  return db.selectFrom(candidates).select((eb) => {
    const shown = eb('u.profile_visible', '=', 1);
    const subject = sql.ref('u.id');
    return [
      'u.id',
      'u.username',
      'u.display_name',
      'u.privacy_profile',
      'u.profile_visible',
      eb.case().when(shown).then(eb.ref('u.bio')).end().as('bio'),
      eb.case().when(shown).then(eb.ref('u.location')).end().as('location'),
      eb.case().when(shown).then(eb.ref('u.created_at')).end().as('created_at'),
      eb.case().when(shown).then(relationCount(eb, subject, 'followers')).end().as('follower_count'),
      eb.case().when(shown).then(relationCount(eb, subject, 'following')).end().as('following_count'),
      eb.case().when(shown).then(workoutCount(eb, subject)).end().as('workout_count'),
    ];
  });
}

/** getById with counts recomputed per read, prepared once per kind of viewer like the current one. */
export async function legacyGetById(db: Kysely<DB>, viewer: Viewer, target: string): Promise<UserView | null> {
  const query = preparedQuery(db, `bench.legacy-users.view:${viewer.kind}`, ['viewer', 'target'], (args) =>
    legacyProfileRead(db, viewer.kind === 'user' ? { ...viewer, userId: args.viewer } : viewer, (eb) => eb('users.id', '=', args.target)),
  );
  const [row] = await query.execute({ viewer: viewer.kind === 'user' ? viewer.userId : '', target });
  if (!row) return null;
  return Number(row.profile_visible) === 1 ? { view: 'profile', user: toProfile(row) } : { view: 'card', user: toCard(row) };
}
