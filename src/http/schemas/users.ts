import { Type } from 'typebox';
import { Id, Nullable, PageOf, Timestamp } from './common.js';

/**
 * The views of a member. Fastify serializes responses through these schemas, which emit only the
 * properties they declare: a field that no view declares cannot leave the server, whatever the
 * handler returns. `card` ⊂ `profile` ⊂ `self`.
 */
const cardProperties = {
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  isPrivate: Type.Boolean(),
};

export const UserCard = Type.Object(cardProperties, { additionalProperties: false, title: 'UserCard' });

const profileProperties = {
  ...cardProperties,
  bio: Nullable(Type.String()),
  location: Nullable(Type.String()),
  followerCount: Type.Integer({ minimum: 0 }),
  followingCount: Type.Integer({ minimum: 0 }),
  workoutCount: Type.Integer({ minimum: 0 }),
  createdAt: Timestamp,
};

export const UserProfile = Type.Object(profileProperties, { additionalProperties: false, title: 'UserProfile' });

export const ProfileVisibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);
export const LeaderboardVisibility = Type.Union([Type.Literal('visible'), Type.Literal('hidden')]);
export const WorkoutVisibility = Type.Union([Type.Literal('public'), Type.Literal('followers'), Type.Literal('only_me')]);

export const Privacy = Type.Object(
  {
    profile: ProfileVisibility,
    searchable: Type.Boolean(),
    leaderboard: LeaderboardVisibility,
    defaultWorkoutVisibility: WorkoutVisibility,
  },
  { additionalProperties: false, title: 'Privacy' },
);

export const Role = Type.Union([Type.Literal('member'), Type.Literal('instructor'), Type.Literal('admin')]);

export const Gender = Type.Union([Type.Literal('female'), Type.Literal('male'), Type.Literal('non_binary'), Type.Literal('other'), Type.Literal('prefer_not_to_say')]);

const selfProperties = {
  ...profileProperties,
  email: Type.String(),
  birthday: Nullable(Type.String({ format: 'date' })),
  gender: Nullable(Gender),
  weightKg: Nullable(Type.Number()),
  heightCm: Nullable(Type.Number()),
  role: Role,
  privacy: Privacy,
};

export const UserSelf = Type.Object(selfProperties, { additionalProperties: false, title: 'UserSelf' });

/** What another member sees: the profile view when allowed, else the card. */
export const UserView = Type.Union([UserProfile, UserCard], { title: 'UserView' });

export const UserCardPage = PageOf(UserCard, 'UserCardPage');

export const AccountStatus = Type.Union([Type.Literal('active'), Type.Literal('suspended')]);

export const AdminUserView = Type.Object({ ...selfProperties, status: AccountStatus }, { additionalProperties: false, title: 'AdminUserView' });

/** The writable self fields; unknown and read-only properties (role, id, email, counts…) are a 400. */
export const SelfPatch = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    bio: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    location: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    birthday: Type.Optional(Nullable(Type.String({ format: 'date' }))),
    gender: Type.Optional(Nullable(Gender)),
    weightKg: Type.Optional(Nullable(Type.Number({ minimum: 20, maximum: 400 }))),
    heightCm: Type.Optional(Nullable(Type.Number({ minimum: 50, maximum: 280 }))),
    privacy: Type.Optional(
      Type.Object(
        {
          profile: Type.Optional(ProfileVisibility),
          searchable: Type.Optional(Type.Boolean()),
          leaderboard: Type.Optional(LeaderboardVisibility),
          defaultWorkoutVisibility: Type.Optional(WorkoutVisibility),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'SelfPatch' },
);
