import { type SelectQueryBuilder, sql } from 'kysely';
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
  /** `<ISO timestamp>|<uuid>`: lists ordered newest first by a time, then by id. */
  timeAndId: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
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

/**
 * Orders a query newest first by `timeColumn`, then `idColumn`, resuming after the cursor's row.
 * Use with `.$call(newestFirst(...))`; the page key is `${time}|${id}` (see `timeAndIdKey`).
 */
export function newestFirst(timeColumn: string, idColumn: string, page: PageRequest) {
  const after = decodeCursor(page.cursor, cursorShapes.timeAndId);
  return <QB extends SelectQueryBuilder<any, any, any>>(query: QB): QB => {
    const time = sql.ref(timeColumn);
    const id = sql.ref(idColumn);
    let ordered = query;
    if (after !== undefined) {
      const [afterTime, afterId] = after.split('|') as [string, string];
      ordered = ordered.where((eb) => eb.or([eb(time, '<', afterTime), eb.and([eb(time, '=', afterTime), eb(id, '<', afterId)])])) as QB;
    }
    return ordered.orderBy(time, 'desc').orderBy(id, 'desc').limit(page.limit + 1) as QB;
  };
}

export function timeAndIdKey(time: string, id: string): string {
  return `${time}|${id}`;
}
