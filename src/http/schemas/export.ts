import { Type } from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';
import { SecurityActivityItem } from './security.js';
import { AccountStatus, UserSelf } from './users.js';
import { Workout } from './workouts.js';

const Edge = Type.Object({ userId: Id, state: Type.String(), createdAt: Timestamp }, { additionalProperties: false });
const BlockEdge = Type.Object({ userId: Id, createdAt: Timestamp }, { additionalProperties: false });

/** Everything held about the caller. Other members appear by id only; secrets never (only hashes are held). */
export const DataExport = Type.Object(
  {
    exportedAt: Timestamp,
    user: UserSelf,
    account: Type.Object({ status: AccountStatus, updatedAt: Nullable(Timestamp) }, { additionalProperties: false }),
    credentials: Type.Array(
      Type.Object(
        {
          id: Id,
          kind: Type.String(),
          name: Nullable(Type.String()),
          scopes: Type.Array(Type.String()),
          userAgent: Nullable(Type.String()),
          createdAt: Timestamp,
          lastUsedAt: Timestamp,
          expiresAt: Timestamp,
        },
        { additionalProperties: false },
      ),
    ),
    following: Type.Array(Edge),
    followers: Type.Array(Edge),
    blocks: Type.Array(BlockEdge),
    workouts: Type.Array(Workout),
    securityActivity: Type.Array(SecurityActivityItem),
  },
  { additionalProperties: false, title: 'DataExport' },
);
