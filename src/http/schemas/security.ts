import { Type } from 'typebox';
import { Id, Nullable, PageOf, PageQuery, Timestamp } from './common.js';
import { Role } from './users.js';

const activityProperties = {
  id: Id,
  type: Type.String(),
  occurredAt: Timestamp,
  actorRole: Nullable(Role),
  reason: Nullable(Type.String()),
  ip: Nullable(Type.String()),
};

/** A member's view of an event about them: an administrator appears by role, never by name. */
export const SecurityActivityItem = Type.Object(activityProperties, { additionalProperties: false, title: 'SecurityActivity' });
export const SecurityActivityPage = PageOf(SecurityActivityItem, 'SecurityActivityPage');

export const SecurityEventItem = Type.Object(
  {
    ...activityProperties,
    actorId: Nullable(Id),
    subjectId: Nullable(Id),
    details: Nullable(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]))),
  },
  { additionalProperties: false, title: 'SecurityEvent' },
);
export const SecurityEventPage = PageOf(SecurityEventItem, 'SecurityEventPage');

export const SecurityEventQuery = Type.Object(
  {
    ...PageQuery.properties,
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    actorId: Type.Optional(Id),
    since: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

/** Administrative access must say why (10 to 500 characters); the reason is shown to the member. */
export const AccessReasonHeaders = Type.Object({
  'x-access-reason': Type.String({ minLength: 10, maxLength: 500, description: 'Why this access is needed; recorded and shown to the member.' }),
});
