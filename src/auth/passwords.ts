import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane). The parameters are stored in each
 * hash, so raising them later only affects new hashes.
 */
// `Algorithm` is a const enum that cannot be imported at run time; 2 is Algorithm.Argon2id.
const argon2id = 2;
const argon2Options = { algorithm: argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export const passwordLength = { min: 12, max: 128 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

/**
 * Whether `password` matches `storedHash`. Every call costs one argon2 verification, also when
 * there is nothing to verify against (no such login, a rider without a usable password, a
 * malformed hash): those are checked against a dummy hash and fail, so a failed login takes the
 * same time whatever made it fail, and timing cannot tell which logins exist.
 */
export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean> {
  const usable = typeof storedHash === 'string' && storedHash.startsWith('$argon2');
  try {
    const matches = await verify(usable ? storedHash : await dummyPasswordHash(), password);
    return usable && matches;
  } catch {
    return false;
  }
}

/** A hash of a random password, made once per process, with the same parameters as real ones. */
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummyHash;
}

/** The common-password list maintained by zxcvbn-ts (about 30,000 leaked passwords). */
const commonPasswords = new Set(
  (dictionary['passwords-common'] as readonly string[]).map((word) => word.toLowerCase()),
);

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, personal: readonly string[] = []): string | null {
  const length = [...password].length;
  if (length < passwordLength.min || length > passwordLength.max) {
    return `must be ${passwordLength.min} to ${passwordLength.max} characters long`;
  }
  const folded = password.toLowerCase();
  if (commonPasswords.has(folded)) return 'is too common; choose one that is not on lists of leaked passwords';
  if (personal.some((word) => word.length >= 3 && folded.includes(word.toLowerCase()))) {
    return 'must not contain your username or email';
  }
  return null;
}
