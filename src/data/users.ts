import type { Expression, Kysely, SqlBool } from 'kysely';
import type { AnyBuilder } from '../authz/rule.js';
import { profileVisibleTo, selfRule, userVisibleTo } from '../authz/user-visibility.js';
import type { Viewer } from '../authz/viewer.js';
import type { DB } from '../db/schema.js';
import type { Page, PageRequest } from './pagination.js';
import { searchMembers } from './member-search.js';
import { preparedQuery } from './prepared-query.js';
import { profileCounts } from './profile-counts.js';
import { type UserCard, type UserProfile, type UserSelf, cardColumns, cardPage, toCard, toProfile, toSelf } from './views.js';

export type UserView = { view: 'profile'; user: UserProfile } | { view: 'card'; user: UserCard };

/** Followers/following lists answer one of three ways; "hidden" becomes 403 private_profile. */
export type ListOutcome<T> = { kind: 'ok'; page: Page<T> } | { kind: 'hidden' } | { kind: 'absent' };

/** The counters kept on write that the profile's counts are computed from (profile-counts.ts). */
const counterColumns = [
  'users.follower_count',
  'users.following_count',
  'users.workout_count_public',
  'users.workout_count_followers',
  'users.workout_count_only_me',
] as const;

/**
 * Reads of members on behalf of one viewer. Every query carries the visibility rule in its WHERE
 * and masks profile-only columns per row with CASE, so a row the viewer may only know as a card
 * never carries its bio or counts out of the database.
 */
export function createUsersRepository(db: Kysely<DB>, viewer: Viewer) {
  const visible = userVisibleTo(viewer);
  const profileVisible = profileVisibleTo(viewer);

  /** One statement: the visibility rule in the inner WHERE, the profile decision made once per row. */
  function profileRead(where: (eb: AnyBuilder) => Expression<SqlBool>) {
    const candidates = db
      .selectFrom('users')
      .select([...cardColumns, 'users.bio', 'users.location', 'users.created_at', ...counterColumns])
      .select((eb) => eb.case().when(profileVisible(eb)).then(1).else(0).end().as('profile_visible'))
      .where(visible)
      .where(where)
      .as('u');
    return db.selectFrom(candidates).select((eb) => {
      const shown = eb('u.profile_visible', '=', 1);
      const counts = profileCounts(eb, viewer, 'u');
      return [
        'u.id',
        'u.username',
        'u.display_name',
        'u.privacy_profile',
        'u.profile_visible',
        eb.case().when(shown).then(eb.ref('u.bio')).end().as('bio'),
        eb.case().when(shown).then(eb.ref('u.location')).end().as('location'),
        eb.case().when(shown).then(eb.ref('u.created_at')).end().as('created_at'),
        eb.case().when(shown).then(counts.followerCount).end().as('follower_count'),
        eb.case().when(shown).then(counts.followingCount).end().as('following_count'),
        eb.case().when(shown).then(counts.workoutCount).end().as('workout_count'),
      ];
    });
  }

  /**
   * The hot read: one prepared profile statement per kind of viewer and lookup column, with the
   * viewer and the target bound as arguments (see prepared-query.ts for why).
   */
  async function readView(column: 'users.id' | 'users.username', target: string): Promise<UserView | null> {
    const query = preparedQuery(db, `users.view:${column}:${viewer.kind}`, ['viewer', 'target'], (args) =>
      createUsersRepository(db, withUserId(viewer, args.viewer)).profileRead((eb) => eb(column, '=', args.target)),
    );
    const [row] = await query.execute({ viewer: viewer.kind === 'user' ? viewer.userId : '', target });
    if (!row) return null;
    return Number(row.profile_visible) === 1 ? { view: 'profile', user: toProfile(row) } : { view: 'card', user: toCard(row) };
  }

  /** Lists members related to `subjectId`, only when the viewer may see the subject's profile. */
  async function relationList(subjectId: string, direction: 'followers' | 'following', page: PageRequest): Promise<ListOutcome<UserCard>> {
    const subject = await db
      .selectFrom('users')
      .select((eb) => eb.case().when(profileVisible(eb)).then(1).else(0).end().as('profile_visible'))
      .where('users.id', '=', subjectId)
      .where(visible)
      .executeTakeFirst();
    if (!subject) return { kind: 'absent' };
    if (Number(subject.profile_visible) !== 1) return { kind: 'hidden' };
    const [subjectColumn, memberColumn] =
      direction === 'followers' ? (['follows.followee_id', 'follows.follower_id'] as const) : (['follows.follower_id', 'follows.followee_id'] as const);
    const members = db
      .selectFrom('follows')
      .innerJoin('users', 'users.id', memberColumn)
      .select(cardColumns)
      .where(subjectColumn, '=', subjectId)
      .where('follows.state', '=', 'approved')
      .where(visible);
    return { kind: 'ok', page: await cardPage(members, page) };
  }

  return {
    /** The profile read with an arbitrary row condition; only the data layer's own modules use it. */
    profileRead,

    getById: (id: string) => readView('users.id', id),

    getByUsername: (username: string) => readView('users.username', username.toLowerCase()),

    /** The self view: the rule is "the viewer's own row", nothing else. */
    self: (): Promise<UserSelf | null> => readSelfView(profileRead, selfRule(viewer)),

    /** Prefix search on username or display name (member-search.ts). */
    search: (query: string, page: PageRequest): Promise<Page<UserCard>> => searchMembers(db, viewer, query, page),

    followers: (subjectId: string, page: PageRequest) => relationList(subjectId, 'followers', page),

    following: (subjectId: string, page: PageRequest) => relationList(subjectId, 'following', page),
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;

/** The same viewer with another user id: used to build a query with a placeholder for the id. */
function withUserId(viewer: Viewer, userId: string): Viewer {
  return viewer.kind === 'user' ? { ...viewer, userId } : viewer;
}

/**
 * The self view of the row(s) `where` selects, with counts as `profileRead`'s viewer could list
 * them. Used for the member's own row, and by the admin repository (with the system viewer).
 */
export async function readSelfView(
  profileRead: UsersRepository['profileRead'],
  where: (eb: AnyBuilder) => Expression<SqlBool>,
): Promise<UserSelf | null> {
  const row = await profileRead(where)
    .innerJoin('users', 'users.id', 'u.id')
    .select([
      'users.email',
      'users.birthday',
      'users.gender',
      'users.weight_kg',
      'users.height_cm',
      'users.role',
      'users.privacy_searchable',
      'users.privacy_leaderboard',
      'users.privacy_default_workout_visibility',
    ])
    .executeTakeFirst();
  return row ? toSelf(row) : null;
}
