import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/**
 * Object ids are UUIDs: opaque to clients, never sequential integers that would let a caller
 * enumerate objects. An id must not carry what a view hides, so there are two kinds.
 */

/**
 * Random (v4): for members and classes, whose ids are shown to people who may not see when they
 * were created (a card hides a member's registration time; a UUIDv7 would carry it to the
 * millisecond).
 */
export function randomId(): string {
  return randomUUID();
}

/**
 * Time-ordered (v7), index-friendly and sortable by creation: only for rows whose creation time
 * is shown to everyone who can see their id (workouts, credentials, security events).
 */
export function timeOrderedId(): string {
  return uuidv7();
}

export function nowIso(): string {
  return new Date().toISOString();
}
