import { v7 as uuidv7 } from 'uuid';

/**
 * Object IDs are time-ordered UUIDs (v7): opaque to clients, never sequential integers that
 * would let a caller enumerate members, and index-friendly because they grow with time.
 */
export function newId(): string {
  return uuidv7();
}

export function nowIso(): string {
  return new Date().toISOString();
}
