import { AppError } from '../errors.js';

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Keyset pagination: the cursor is the sort key of the last item, opaque to clients (base64url).
 * Keysets never skip or repeat rows when others are inserted, and never reveal totals.
 */
/** Sort keys are member or event ids (UUIDs) or usernames; a cursor must decode to one of its list's shape. */
export const cursorShapes = {
  id: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  username: /^[a-z0-9_]{3,30}$/,
} as const;

export function decodeCursor(cursor: string | undefined, shape: RegExp = cursorShapes.id): string | undefined {
  if (cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!shape.test(decoded) || Buffer.from(decoded, 'utf8').toString('base64url') !== cursor) {
    throw new AppError('validation_failed', { detail: 'The cursor is not valid.', errors: [{ path: '/query/cursor', message: 'is not a cursor from this list' }] });
  }
  return decoded;
}

/** Takes `limit + 1` fetched rows and builds the page; `key` gives the sort key of a row. */
export function toPage<Row, Item>(rows: Row[], limit: number, key: (row: Row) => string, toItem: (row: Row) => Item): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: hasMore && last !== undefined ? Buffer.from(key(last), 'utf8').toString('base64url') : null,
  };
}
