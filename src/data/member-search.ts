import type { Kysely } from 'kysely';
import { userVisibleTo } from '../authz/user-visibility.js';
import type { Viewer } from '../authz/viewer.js';
import type { DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { Page, PageRequest } from './pagination.js';
import { type CardRow, type UserCard, cardColumns, toCard } from './views.js';

/**
 * Member search: a prefix of the username or of the lower-cased display name. Its cost must not
 * grow with how many members match (every seeded username starts with "me"), so it never sorts
 * the matches: each kind of match is one ordered, limited range scan of its own index, and the
 * two are merged by the text that matched, as a k-way merge does. Results are therefore ordered
 * by that text: the display name for a member whose display name matches, else the username; a
 * username match first when two texts are equal, display-name matches by id among themselves.
 *
 * A member matching both ways is the display-name scan's, so the username scan skips them. The
 * display-name scan runs first, and when it fills a page, the username scan stops at its last
 * key: nothing past it can be on this page. So the rows the username scan skips are bounded by
 * the page, not by how many members match both ways (every "me…" display name, when every
 * username matches "me").
 *
 * Matching is a byte-order range on lower-cased keys (COLLATE "C" on PostgreSQL), so `%` and `_`
 * match themselves. Members who opted out of search are excluded for everyone, themselves included.
 */

/** Where each scan resumes: after this username, and after this (display-name key, id). */
interface SearchCursor {
  username?: string;
  displayName?: { key: string; id: string };
}

type Hit = CardRow & { sort_key: string; branch: 0 | 1 };

export async function searchMembers(db: Kysely<DB>, viewer: Viewer, query: string, page: PageRequest): Promise<Page<UserCard>> {
  const key = query.toLowerCase();
  const upper = `${key}\u{10FFFF}`;
  const after = decodeSearchCursor(page.cursor);
  const visible = userVisibleTo(viewer);
  const candidates = db.selectFrom('users').select(cardColumns).where(visible).where('users.privacy_searchable', '=', 1);

  const byDisplayName = await candidates
    .select('users.display_name_key as sort_key')
    .where('users.display_name_key', '>=', key)
    .where('users.display_name_key', '<', upper)
    .$if(after.displayName !== undefined, (q) => {
      const { key: afterKey, id: afterId } = after.displayName as { key: string; id: string };
      return q.where((eb) =>
        eb.or([eb('users.display_name_key', '>', afterKey), eb.and([eb('users.display_name_key', '=', afterKey), eb('users.id', '>', afterId)])]),
      );
    })
    .orderBy('users.display_name_key')
    .orderBy('users.id')
    .limit(page.limit + 1)
    .execute();
  // A full display-name page ends this page at its last key: usernames past it can wait.
  const boundary = byDisplayName.length > page.limit ? byDisplayName[page.limit]?.sort_key : undefined;
  const byUsername = await candidates
    .select('users.username as sort_key')
    .where('users.username', '>=', key)
    // One upper bound, so the index range ends there (two would leave one as a filter). The
    // boundary is a display-name key that matched, so it lies below `upper` already.
    .$if(boundary === undefined, (q) => q.where('users.username', '<', upper))
    .$if(boundary !== undefined, (q) => q.where('users.username', '<=', boundary as string))
    // A member whose display name matches too is the display-name scan's: listed once.
    .where((eb) => eb.not(eb.and([eb('users.display_name_key', '>=', key), eb('users.display_name_key', '<', upper)])))
    .$if(after.username !== undefined, (q) => q.where('users.username', '>', after.username as string))
    .orderBy('users.username')
    .limit(page.limit + 1)
    .execute();

  const merged = mergeHits(
    byUsername.map((row) => ({ ...row, branch: 0 as const })),
    byDisplayName.map((row) => ({ ...row, branch: 1 as const })),
  );
  const taken = merged.slice(0, page.limit);
  const next: SearchCursor = { ...after };
  for (const hit of taken) {
    if (hit.branch === 0) next.username = hit.sort_key;
    else next.displayName = { key: hit.sort_key, id: hit.id };
  }
  return { items: taken.map(toCard), nextCursor: merged.length > page.limit ? encodeSearchCursor(next) : null };
}

/** Byte order of UTF-8, as the databases compare these keys (not JavaScript's UTF-16 order). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function mergeHits(first: Hit[], second: Hit[]): Hit[] {
  const merged: Hit[] = [];
  let i = 0;
  let j = 0;
  while (i < first.length || j < second.length) {
    const a = first[i];
    const b = second[j];
    if (b === undefined || (a !== undefined && compareBytes(a.sort_key, b.sort_key) <= 0)) {
      merged.push(a as Hit);
      i++;
    } else {
      merged.push(b);
      j++;
    }
  }
  return merged;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const usernamePattern = /^[a-z0-9_]{3,30}$/;

function encodeSearchCursor(cursor: SearchCursor): string {
  const parts = { ...(cursor.username !== undefined && { u: cursor.username }), ...(cursor.displayName && { d: [cursor.displayName.key, cursor.displayName.id] }) };
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** Only a cursor this list made decodes: anything else is a 400, never a scan from a chosen place. */
function decodeSearchCursor(cursor: string | undefined): SearchCursor {
  if (cursor === undefined) return {};
  const invalid = () => new AppError('validation_failed', { detail: 'The cursor is not valid.', errors: [{ path: '/query/cursor', message: 'is not a cursor from this list' }] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const { u, d, ...rest } = parsed as { u?: unknown; d?: unknown };
  const decoded: SearchCursor = {};
  if (Object.keys(rest).length > 0 || (u === undefined && d === undefined)) throw invalid();
  if (u !== undefined) {
    if (typeof u !== 'string' || !usernamePattern.test(u)) throw invalid();
    decoded.username = u;
  }
  if (d !== undefined) {
    if (!Array.isArray(d) || d.length !== 2) throw invalid();
    const [displayKey, id] = d as unknown[];
    if (typeof displayKey !== 'string' || displayKey.length === 0 || displayKey.length > 200 || displayKey.includes('\u0000')) throw invalid();
    if (typeof id !== 'string' || !uuidPattern.test(id)) throw invalid();
    decoded.displayName = { key: displayKey, id };
  }
  if (encodeSearchCursor(decoded) !== cursor) throw invalid();
  return decoded;
}
