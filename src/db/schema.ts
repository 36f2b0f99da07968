import type { Generated } from 'kysely';

/**
 * Row types of every table: the one source of truth for the data layer's queries.
 * Timestamps are ISO 8601 UTC strings of fixed width (Date#toISOString) on both dialects, so they
 * compare and sort correctly as text and read back identically from SQLite and PostgreSQL.
 * Booleans are 0/1 integers for the same reason.
 */
export type Role = 'member' | 'instructor' | 'admin';
export type AccountStatus = 'active' | 'suspended';
export type ProfileVisibility = 'public' | 'private';
export type LeaderboardVisibility = 'visible' | 'hidden';
export type WorkoutVisibility = 'public' | 'followers' | 'only_me';
export type FollowState = 'approved' | 'pending';
export type CredentialKind = 'session' | 'token';
export const disciplines = ['cycling', 'running', 'rowing', 'strength', 'yoga', 'walking', 'meditation'] as const;
export type Discipline = (typeof disciplines)[number];
export type Gender = 'female' | 'male' | 'non_binary' | 'other' | 'prefer_not_to_say';

export interface UsersTable {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  display_name: string;
  /** Lower-cased display name: the key for prefix search, so search needs no function index. */
  display_name_key: string;
  bio: string | null;
  location: string | null;
  birthday: string | null;
  gender: Gender | null;
  weight_kg: number | null;
  height_cm: number | null;
  role: Role;
  status: AccountStatus;
  privacy_profile: ProfileVisibility;
  privacy_searchable: number;
  privacy_leaderboard: LeaderboardVisibility;
  privacy_default_workout_visibility: WorkoutVisibility;
  created_at: string;
  updated_at: string;
  /** Random; rotated by a password change or a suspension, which ends every older credential. */
  security_stamp: string;
  /**
   * Kept on write (src/db/member-counters.ts): approved follows of this member by active
   * members, and by this member of active members; this member's workouts per visibility.
   */
  follower_count: Generated<number>;
  following_count: Generated<number>;
  workout_count_public: Generated<number>;
  workout_count_followers: Generated<number>;
  workout_count_only_me: Generated<number>;
}

export interface CredentialsTable {
  id: string;
  user_id: string;
  kind: CredentialKind;
  /** SHA-256 of the bearer secret; the secret itself is never stored. */
  token_hash: string;
  name: string | null;
  /** Space-separated scope names. */
  scopes: string;
  user_agent: string | null;
  created_at: string;
  last_used_at: string;
  idle_expires_at: string;
  expires_at: string;
  /** The member's security stamp when this credential was issued; valid only while it still matches. */
  security_stamp: string;
}

export interface FollowsTable {
  follower_id: string;
  followee_id: string;
  state: FollowState;
  created_at: string;
}

export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: string;
}

export interface WorkoutsTable {
  id: string;
  user_id: string;
  class_id: string | null;
  discipline: Discipline;
  title: string;
  started_at: string;
  duration_seconds: number;
  total_output_kj: number | null;
  avg_cadence_rpm: number | null;
  avg_heart_rate_bpm: number | null;
  max_heart_rate_bpm: number | null;
  distance_km: number | null;
  calories: number | null;
  visibility: WorkoutVisibility;
  created_at: string;
}

export interface ClassesTable {
  id: string;
  title: string;
  discipline: Discipline;
  instructor_id: string;
  duration_seconds: number;
  difficulty: number;
  aired_at: string;
  created_at: string;
}

export interface SecurityEventsTable {
  id: string;
  type: string;
  actor_id: string | null;
  actor_role: Role | null;
  subject_id: string | null;
  reason: string | null;
  ip: string | null;
  /** JSON object with event-specific facts; never secrets. */
  details: string | null;
  created_at: string;
}

export interface DB {
  users: UsersTable;
  credentials: CredentialsTable;
  follows: FollowsTable;
  blocks: BlocksTable;
  workouts: WorkoutsTable;
  classes: ClassesTable;
  security_events: SecurityEventsTable;
}
