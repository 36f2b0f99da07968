import { type SelectQueryBuilder, sql } from 'kysely';
import type { DB, Gender, Role, UsersTable } from '../db/schema.js';
import { type Page, type PageRequest, decodeCursor, toPage } from './pagination.js';

/**
 * The three shapes a member appears in. The data layer builds them from rows whose private
 * columns were already masked by the query; the HTTP schemas then emit only declared fields.
 */
export interface UserCard {
  id: string;
  username: string;
  displayName: string;
  isPrivate: boolean;
}

export interface UserProfile extends UserCard {
  bio: string | null;
  location: string | null;
  followerCount: number;
  followingCount: number;
  workoutCount: number;
  createdAt: string;
}

export interface PrivacySettings {
  profile: 'public' | 'private';
  searchable: boolean;
  leaderboard: 'visible' | 'hidden';
  defaultWorkoutVisibility: 'public' | 'followers' | 'only_me';
}

export interface UserSelf extends UserProfile {
  email: string;
  birthday: string | null;
  gender: Gender | null;
  weightKg: number | null;
  heightCm: number | null;
  role: Role;
  privacy: PrivacySettings;
}

export type CardRow = Pick<UsersTable, 'id' | 'username' | 'display_name' | 'privacy_profile'>;

export const cardColumns = ['users.id', 'users.username', 'users.display_name', 'users.privacy_profile'] as const;

export function toCard(row: CardRow): UserCard {
  return { id: row.id, username: row.username, displayName: row.display_name, isPrivate: row.privacy_profile === 'private' };
}

/**
 * Runs a query of member cards (one that selects `cardColumns` from `users` and already carries
 * its rule) as one keyset page, ordered by member id.
 */
export async function cardPage(query: SelectQueryBuilder<DB, any, CardRow>, page: PageRequest): Promise<Page<UserCard>> {
  const after = decodeCursor(page.cursor);
  const rows = await query
    .$if(after !== undefined, (q) => q.where(sql.ref('users.id'), '>', after as string))
    .orderBy(sql.ref('users.id'))
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit, (row) => row.id, toCard);
}

export interface ProfileRow extends CardRow {
  bio: string | null;
  location: string | null;
  created_at: string | null;
  follower_count: number | null;
  following_count: number | null;
  workout_count: number | null;
}

export function toProfile(row: ProfileRow): UserProfile {
  return {
    ...toCard(row),
    bio: row.bio,
    location: row.location,
    followerCount: Number(row.follower_count ?? 0),
    followingCount: Number(row.following_count ?? 0),
    workoutCount: Number(row.workout_count ?? 0),
    createdAt: row.created_at ?? '',
  };
}

export type SelfRow = ProfileRow &
  Pick<
    UsersTable,
    | 'email'
    | 'birthday'
    | 'gender'
    | 'weight_kg'
    | 'height_cm'
    | 'role'
    | 'privacy_searchable'
    | 'privacy_leaderboard'
    | 'privacy_default_workout_visibility'
  >;

export function toSelf(row: SelfRow): UserSelf {
  return {
    ...toProfile(row),
    email: row.email,
    birthday: row.birthday,
    gender: row.gender,
    weightKg: row.weight_kg,
    heightCm: row.height_cm,
    role: row.role,
    privacy: {
      profile: row.privacy_profile,
      searchable: row.privacy_searchable === 1,
      leaderboard: row.privacy_leaderboard,
      defaultWorkoutVisibility: row.privacy_default_workout_visibility,
    },
  };
}
