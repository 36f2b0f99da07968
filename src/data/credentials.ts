import { type Kysely, type Transaction, sql } from 'kysely';
import { hashSecret, newSecret } from '../auth/tokens.js';
import type { Scope } from '../authz/scopes.js';
import type { Viewer } from '../authz/viewer.js';
import type { CredentialKind, DB } from '../db/schema.js';
import { timeOrderedId, nowIso } from '../ids.js';
import { type Page, type PageRequest, decodeCursor, toPage } from './pagination.js';
import type { RequestContext } from './request-context.js';
import { recordSecurityEvent } from './security-events.js';
import { requireMember } from '../authz/require-viewer.js';
import { AppError } from '../errors.js';

/** Lifetimes. A session is an interactive login; a token is a member-made key for scripts. */
export const credentialLifetimes = {
  session: { idleMs: 7 * 24 * 3600_000, absoluteMs: 30 * 24 * 3600_000 },
  token: { idleMs: 60 * 24 * 3600_000 },
} as const;

/** lastUsedAt is written at most this often, so authenticated reads are not also writes. */
export const touchIntervalMs = 60_000;

export interface IssuedCredential {
  id: string;
  secret: string;
  expiresAt: string;
}

/**
 * Makes a credential and returns its secret, the only time the secret exists outside the caller.
 * The credential carries `securityStamp`, the stamp its member had when they proved who they
 * are (the password check of a login, the credential of the request making a token). It is
 * written only while the member is active and still has that stamp, in one statement, so a
 * password change or suspension that lands first stops it (null), and one that lands after it
 * rotates the stamp and ends it: no interleaving leaves a credential from before the change alive.
 */
export async function issueCredential(
  db: Kysely<DB> | Transaction<DB>,
  input: {
    userId: string;
    securityStamp: string;
    kind: CredentialKind;
    scopes: readonly Scope[];
    name?: string | null;
    userAgent?: string | null;
    expiresAt: Date;
  },
): Promise<IssuedCredential | null> {
  const now = new Date();
  const id = timeOrderedId();
  const secret = newSecret(input.kind);
  const idleExpiry = new Date(Math.min(input.expiresAt.getTime(), now.getTime() + credentialLifetimes[input.kind].idleMs));
  const values = {
    id,
    kind: input.kind,
    token_hash: hashSecret(secret),
    name: input.name ?? null,
    scopes: input.scopes.join(' '),
    user_agent: input.userAgent ?? null,
    created_at: now.toISOString(),
    last_used_at: now.toISOString(),
    idle_expires_at: idleExpiry.toISOString(),
    expires_at: input.expiresAt.toISOString(),
  };
  const columns = Object.keys(values) as (keyof typeof values)[];
  const result = await db
    .insertInto('credentials')
    .columns([...columns, 'user_id', 'security_stamp'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        // Typed casts: PostgreSQL cannot infer the type of a bare parameter in a select list.
        .select([...columns.map((column) => sql<string | null>`cast(${values[column]} as text)`.as(column)), 'users.id', 'users.security_stamp'])
        .where('users.id', '=', input.userId)
        .where('users.security_stamp', '=', input.securityStamp)
        .where('users.status', '=', 'active'),
    )
    .executeTakeFirst();
  if ((result.numInsertedOrUpdatedRows ?? 0n) === 0n) return null;
  return { id, secret, expiresAt: input.expiresAt.toISOString() };
}

export interface SessionItem {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  current: boolean;
}

export interface TokenItem {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

/** A member's own sessions and personal access tokens. Every statement is bound to the viewer's user id. */
export function createCredentialsRepository(db: Kysely<DB>, viewer: Viewer, context: RequestContext) {
  function live(kind: CredentialKind, page: PageRequest) {
    const me = requireMember(viewer).userId;
    const after = decodeCursor(page.cursor);
    const now = nowIso();
    return db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', me)
      .where('kind', '=', kind)
      .where('expires_at', '>', now)
      .where('idle_expires_at', '>', now)
      // A credential from before the last password change or suspension is dead, not listed.
      .where('security_stamp', '=', (eb) => eb.selectFrom('users').select('users.security_stamp').where('users.id', '=', me))
      .$if(after !== undefined, (q) => q.where('id', '>', after as string))
      .orderBy('id')
      .limit(page.limit + 1)
      .execute();
  }

  async function revoke(kind: CredentialKind, id: string): Promise<boolean> {
    const me = requireMember(viewer).userId;
    return db.transaction().execute(async (trx) => {
      // Bound to the viewer's user id: another member's credential id is simply not found.
      const result = await trx.deleteFrom('credentials').where('id', '=', id).where('user_id', '=', me).where('kind', '=', kind).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await recordSecurityEvent(trx, { type: kind === 'session' ? 'session.revoked' : 'token.revoked', actorId: me, subjectId: me, ip: context.ip, details: { credentialId: id } });
      return true;
    });
  }

  return {
    async sessions(page: PageRequest): Promise<Page<SessionItem>> {
      const current = requireMember(viewer).credentialId;
      const rows = await live('session', page);
      return toPage(rows, page.limit, (r) => r.id, (r) => ({ id: r.id, createdAt: r.created_at, lastUsedAt: r.last_used_at, userAgent: r.user_agent, current: r.id === current }));
    },

    async tokens(page: PageRequest): Promise<Page<TokenItem>> {
      const rows = await live('token', page);
      return toPage(rows, page.limit, (r) => r.id, (r) => ({
        id: r.id,
        name: r.name ?? '',
        scopes: r.scopes.split(' ').filter(Boolean) as Scope[],
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
        expiresAt: r.expires_at,
      }));
    },

    revokeSession: (id: string) => revoke('session', id),

    revokeToken: (id: string) => revoke('token', id),

    async createToken(input: { name: string; scopes: readonly Scope[]; expiresAt: Date }): Promise<IssuedCredential> {
      const member = requireMember(viewer);
      const me = member.userId;
      return db.transaction().execute(async (trx) => {
        // Stamped with the stamp of the credential that asked: if the password changed since, the
        // request's own credential is dead, and so is anything it would make.
        const issued = await issueCredential(trx, { userId: me, securityStamp: member.securityStamp, kind: 'token', name: input.name, scopes: input.scopes, expiresAt: input.expiresAt });
        if (!issued) throw new AppError('unauthorized', { detail: 'The bearer token is malformed, expired or revoked.' });
        await recordSecurityEvent(trx, { type: 'token.created', actorId: me, subjectId: me, ip: context.ip, details: { tokenId: issued.id, name: input.name, scopes: input.scopes.join(' ') } });
        return issued;
      });
    },
  };
}

export type CredentialsRepository = ReturnType<typeof createCredentialsRepository>;
