import type { Kysely } from 'kysely';
import { hashSecret } from '../auth/tokens.js';
import { allScopes, isScope, type Scope } from '../authz/scopes.js';
import { type UserViewer, systemViewer } from '../authz/viewer.js';
import type { DB, Role } from '../db/schema.js';
import { AppError } from '../errors.js';
import { randomId, nowIso } from '../ids.js';
import { type IssuedCredential, credentialLifetimes, issueCredential, touchIntervalMs } from './credentials.js';
import { shiftCounterparts } from './follow-counters.js';
import type { MemberLocks } from './member-locks.js';
import { type NewSecurityEvent, recordSecurityEvent } from './security-events.js';
import { preparedQuery } from './prepared-query.js';
import { newSecurityStamp, rotateSecurityStamp } from './security-stamps.js';
import { isUniqueViolation } from './unique-violation.js';
import { createUsersRepository, readSelfView } from './users.js';
import { type UserCard, type UserSelf, cardColumns, toCard } from './views.js';

export interface LoginCandidate {
  id: string;
  username: string;
  passwordHash: string;
  status: 'active' | 'suspended';
  /** Read with the password hash: a session is issued only while it is still the member's. */
  securityStamp: string;
}

/** The one spelling of a login name: how it is looked up and how it is throttled. */
export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase();
}


export interface NewAccount {
  username: string;
  email: string;
  passwordHash: string;
  displayName?: string | undefined;
  role?: Role;
  profile?: 'public' | 'private';
}

/**
 * Authentication's view of accounts: finding a member by login, registering, turning a bearer
 * secret into a Viewer, and the password and credential changes that must be atomic. It runs
 * before any viewer exists, so it is handed only to the auth service, never to route handlers.
 */
export function createAccountStore(db: Kysely<DB>, memberLocks: MemberLocks) {
  // Authentication reads a member before any viewer exists: the answer goes only to that member.
  const unrestricted = createUsersRepository(db, systemViewer('authentication: the member reading their own account'));

  // Runs on every authenticated request, so it is built and compiled once (prepared-query.ts).
  const credentialLookup = preparedQuery(db, 'credentials.resolve', ['hash', 'now'], (args) =>
    db
      .selectFrom('credentials')
      .innerJoin('users', 'users.id', 'credentials.user_id')
      .select(['credentials.id', 'credentials.kind', 'credentials.scopes', 'credentials.last_used_at', 'credentials.expires_at', 'credentials.security_stamp', 'users.id as user_id', 'users.role'])
      .where('credentials.token_hash', '=', args.hash)
      // Issued before the member's last password change or suspension: dead, whatever its expiry.
      .whereRef('credentials.security_stamp', '=', 'users.security_stamp')
      .where('credentials.expires_at', '>', args.now)
      .where('credentials.idle_expires_at', '>', args.now)
      .where('users.status', '=', 'active'),
  );

  return {
    /** The self view of a member who has just proven who they are (registration). */
    selfView: (userId: string): Promise<UserSelf | null> => readSelfView(unrestricted.profileRead, (eb) => eb('users.id', '=', userId)),

    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) === undefined;
    },

    async card(userId: string): Promise<UserCard | null> {
      const row = await db.selectFrom('users').select(cardColumns).where('users.id', '=', userId).executeTakeFirst();
      return row ? toCard(row) : null;
    },

    async findForLogin(login: string): Promise<LoginCandidate | null> {
      const key = normalizeLogin(login);
      const column = key.includes('@') ? 'email' : 'username';
      const row = await db.selectFrom('users').select(['id', 'username', 'password_hash', 'status', 'security_stamp']).where(column, '=', key).executeTakeFirst();
      return row ? { id: row.id, username: row.username, passwordHash: row.password_hash, status: row.status, securityStamp: row.security_stamp } : null;
    },

    /** Creates a member; a taken username or email is one answer for both (no account enumeration). */
    async register(account: NewAccount, ip: string | null = null): Promise<string> {
      const id = randomId();
      const now = nowIso();
      const displayName = account.displayName ?? account.username;
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({
              id,
              username: account.username,
              email: account.email.toLowerCase(),
              password_hash: account.passwordHash,
              display_name: displayName,
              display_name_key: displayName.toLowerCase(),
              bio: null,
              location: null,
              birthday: null,
              gender: null,
              weight_kg: null,
              height_cm: null,
              role: account.role ?? 'member',
              status: 'active',
              privacy_profile: account.profile ?? 'private',
              privacy_searchable: 1,
              privacy_leaderboard: 'visible',
              privacy_default_workout_visibility: 'followers',
              created_at: now,
              updated_at: now,
              security_stamp: newSecurityStamp(),
            })
            .execute();
          await recordSecurityEvent(trx, { type: 'account.registered', actorId: id, subjectId: id, ip });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('account_taken', { detail: 'That username or email cannot be used.' });
        throw error;
      }
      return id;
    },

    /**
     * Starts a session for a member whose password was just checked; null when the password
     * changed (or the member was suspended) since the check, so the old password gets nothing.
     */
    async startSession(member: Pick<LoginCandidate, 'id' | 'securityStamp'>, userAgent: string | null, ip: string | null): Promise<IssuedCredential | null> {
      return db.transaction().execute(async (trx) => {
        const now = nowIso();
        // Housekeeping on login: a member's expired and dead credentials are dropped.
        await trx
          .deleteFrom('credentials')
          .where('user_id', '=', member.id)
          .where((eb) => eb.or([eb('expires_at', '<=', now), eb('idle_expires_at', '<=', now), eb('security_stamp', '<>', member.securityStamp)]))
          .execute();
        const issued = await issueCredential(trx, {
          userId: member.id,
          securityStamp: member.securityStamp,
          kind: 'session',
          scopes: allScopes,
          userAgent: userAgent?.slice(0, 256) ?? null,
          expiresAt: new Date(Date.now() + credentialLifetimes.session.absoluteMs),
        });
        if (!issued) return null;
        await recordSecurityEvent(trx, { type: 'login.succeeded', actorId: member.id, subjectId: member.id, ip, details: { sessionId: issued.id } });
        return issued;
      });
    },

    /**
     * One statement from secret to viewer: the credential must be unexpired on both clocks and
     * its member active. Invalid credentials are returned as null, never thrown.
     */
    async resolveCredential(secret: string): Promise<UserViewer | null> {
      const now = new Date();
      const nowText = now.toISOString();
      const [row] = await credentialLookup.execute({ hash: hashSecret(secret), now: nowText });
      if (!row) return null;
      if (now.getTime() - Date.parse(row.last_used_at) > touchIntervalMs) {
        const idleExpiry = Math.min(Date.parse(row.expires_at), now.getTime() + credentialLifetimes[row.kind].idleMs);
        await db
          .updateTable('credentials')
          .set({ last_used_at: nowText, idle_expires_at: new Date(idleExpiry).toISOString() })
          .where('id', '=', row.id)
          .execute();
      }
      const scopes = new Set<Scope>(row.scopes.split(' ').filter(isScope));
      return Object.freeze({
        kind: 'user',
        userId: row.user_id,
        role: row.role,
        scopes,
        credentialId: row.id,
        credentialKind: row.kind,
        securityStamp: row.security_stamp,
      });
    },

    async passwordHashOf(userId: string): Promise<string | null> {
      const row = await db.selectFrom('users').select('password_hash').where('id', '=', userId).where('status', '=', 'active').executeTakeFirst();
      return row?.password_hash ?? null;
    },

    /**
     * Sets a new password and rotates the security stamp, which ends every other session and
     * token at once, including one being issued right now by another request. The session that
     * made the change takes the new stamp. False when that session itself was ended meanwhile
     * (another password change won): then nothing changes.
     */
    async changePassword(viewer: UserViewer, passwordHash: string, ip: string | null): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const stamp = await rotateSecurityStamp(trx, viewer.userId, viewer.securityStamp, { password_hash: passwordHash });
        if (stamp === null) return false;
        await trx.updateTable('credentials').set({ security_stamp: stamp }).where('id', '=', viewer.credentialId).execute();
        // The stamp already ended them; deleting the rows keeps the table small.
        await trx.deleteFrom('credentials').where('user_id', '=', viewer.userId).where('id', '<>', viewer.credentialId).execute();
        await recordSecurityEvent(trx, { type: 'password.changed', actorId: viewer.userId, subjectId: viewer.userId, ip });
        return true;
      });
    },

    async endSession(viewer: UserViewer, ip: string | null): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('credentials').where('id', '=', viewer.credentialId).where('user_id', '=', viewer.userId).execute();
        await recordSecurityEvent(trx, { type: 'logout', actorId: viewer.userId, subjectId: viewer.userId, ip });
      });
    },

    /** Erases the member, their credentials, graph edges, workouts, classes and the events about them. */
    async deleteAccount(viewer: UserViewer, ip: string | null): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // The cascade below removes the member's edges without a word to the counters of the
        // members at their other ends: those are decremented first, with no edge changing meanwhile.
        await memberLocks.status(trx, viewer.userId);
        await memberLocks.counterparts(trx, viewer.userId);
        await shiftCounterparts(trx, viewer.userId, -1);
        await trx.deleteFrom('security_events').where('subject_id', '=', viewer.userId).execute();
        // An instructor's classes go with the account (cascade); other members' workouts of those
        // classes stay theirs, without the class link.
        await trx
          .updateTable('workouts')
          .set({ class_id: null })
          .where('class_id', 'in', (eb) => eb.selectFrom('classes').select('classes.id').where('classes.instructor_id', '=', viewer.userId))
          .execute();
        await trx.deleteFrom('users').where('id', '=', viewer.userId).execute();
        // Kept without a subject so the log still shows that an account was erased, not whose.
        await recordSecurityEvent(trx, { type: 'account.deleted', ip });
      });
    },

    recordEvent: (event: NewSecurityEvent) => recordSecurityEvent(db, event),
  };
}

export type AccountStore = ReturnType<typeof createAccountStore>;

