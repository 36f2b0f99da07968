import { createHash, randomBytes } from 'node:crypto';
import type { CredentialKind } from '../db/schema.js';

/**
 * Bearer secrets: 256 random bits, base64url, behind a prefix that names the kind (so secret
 * scanners and people can tell a session from a personal access token at a glance).
 * Only the SHA-256 of a secret is stored. A fast hash is right here: the input has 256 bits of
 * entropy, so there is nothing to brute-force, and the lookup is by hash, so comparing the
 * presented secret with a stored one never happens in JavaScript (no timing side channel).
 */
const prefixes: Record<CredentialKind, string> = { session: 'pls_', token: 'plt_' };
const secretPattern = /^pl[st]_[A-Za-z0-9_-]{43}$/;

export function newSecret(kind: CredentialKind): string {
  return prefixes[kind] + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Shape check before any lookup, so garbage never reaches the database. */
export function looksLikeSecret(value: string): boolean {
  return secretPattern.test(value);
}
