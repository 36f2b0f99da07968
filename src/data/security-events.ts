import type { Kysely, Transaction } from 'kysely';
import type { DB, Role } from '../db/schema.js';
import { timeOrderedId, nowIso } from '../ids.js';
import { type Page, type PageRequest, decodeCursor, toPage } from './pagination.js';

/** Event types. Every type a member sees in their security activity is listed in `memberVisibleTypes`. */
export const securityEventTypes = [
  'account.registered',
  'login.succeeded',
  'login.failed',
  'logout',
  'session.revoked',
  'token.created',
  'token.revoked',
  'password.changed',
  'profile.privacy_changed',
  'account.deleted',
  'admin.user_viewed',
  'admin.user_suspended',
  'admin.user_unsuspended',
] as const;

export type SecurityEventType = (typeof securityEventTypes)[number];

export interface NewSecurityEvent {
  type: SecurityEventType;
  actorId?: string | null;
  actorRole?: Role | null;
  subjectId?: string | null;
  reason?: string | null;
  ip?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

/** Written inside the caller's transaction, so an action and its record land or fail together. */
export async function recordSecurityEvent(db: Kysely<DB> | Transaction<DB>, event: NewSecurityEvent): Promise<void> {
  await db
    .insertInto('security_events')
    .values({
      id: timeOrderedId(),
      type: event.type,
      actor_id: event.actorId ?? null,
      actor_role: event.actorRole ?? null,
      subject_id: event.subjectId ?? null,
      reason: event.reason ?? null,
      ip: event.ip ?? null,
      details: event.details ? JSON.stringify(event.details) : null,
      created_at: nowIso(),
    })
    .execute();
}

/** What a member sees of an event about them: who acted is shown by role, never by name. */
export interface SecurityActivityItem {
  id: string;
  type: string;
  occurredAt: string;
  actorRole: Role | null;
  reason: string | null;
  ip: string | null;
}

/** What an administrator sees in the full log. */
export interface SecurityEventItem extends SecurityActivityItem {
  actorId: string | null;
  subjectId: string | null;
  details: Record<string, string | number | boolean | null> | null;
}

export interface SecurityEventFilter {
  type?: string | undefined;
  actorId?: string | undefined;
  since?: string | undefined;
}

type EventRow = DB['security_events'];

function toActivity(row: EventRow): SecurityActivityItem {
  return { id: row.id, type: row.type, occurredAt: row.created_at, actorRole: row.actor_role, reason: row.reason, ip: row.ip };
}

function toEvent(row: EventRow): SecurityEventItem {
  return { ...toActivity(row), actorId: row.actor_id, subjectId: row.subject_id, details: row.details ? (JSON.parse(row.details) as SecurityEventItem['details']) : null };
}

/** Newest first: event IDs are time-ordered, so the ID is the keyset. */
export async function listSecurityEvents(
  db: Kysely<DB>,
  where: { subjectId?: string } & SecurityEventFilter,
  page: PageRequest,
): Promise<Page<SecurityEventItem>> {
  const before = decodeCursor(page.cursor);
  const rows = await db
    .selectFrom('security_events')
    .selectAll()
    .$if(where.subjectId !== undefined, (q) => q.where('subject_id', '=', where.subjectId as string))
    .$if(where.type !== undefined, (q) => q.where('type', '=', where.type as string))
    .$if(where.actorId !== undefined, (q) => q.where('actor_id', '=', where.actorId as string))
    .$if(where.since !== undefined, (q) => q.where('created_at', '>=', new Date(where.since as string).toISOString()))
    .$if(before !== undefined, (q) => q.where('id', '<', before as string))
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit, (r) => r.id, toEvent);
}

/**
 * The member's view of events about them. When someone else acted (an administrator), the
 * member sees the role and the reason, but neither the actor's id nor their address.
 */
export function asActivity(page: Page<SecurityEventItem>): Page<SecurityActivityItem> {
  return { items: page.items.map(toMemberActivity), nextCursor: page.nextCursor };
}

export function toMemberActivity({ id, type, occurredAt, actorRole, reason, ip, actorId, subjectId }: SecurityEventItem): SecurityActivityItem {
  const someoneElse = actorId !== null && actorId !== subjectId;
  return { id, type, occurredAt, actorRole, reason, ip: someoneElse ? null : ip };
}
