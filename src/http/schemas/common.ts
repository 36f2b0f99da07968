import { type TSchema, Type } from 'typebox';

/** IDs are UUIDs; anything else in a path is a 400 before any query runs. */
export const Id = Type.String({ format: 'uuid', description: 'An opaque identifier (UUID).' });

export const Username = Type.String({ pattern: '^[a-z0-9_]{3,30}$', description: 'Lower-case letters, digits and underscores, 3 to 30 characters.' });

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC.' });

export const UserIdParams = Type.Object({ userId: Id }, { additionalProperties: false });

export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

/** `{ items, nextCursor }`: keyset pages, never totals. */
export function PageOf<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) },
    { additionalProperties: false, title: name },
  );
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
