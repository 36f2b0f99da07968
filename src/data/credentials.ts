import type { Kysely, Transaction } from 'kysely';
import { hashSecret, newSecret } from '../auth/tokens.js';
import type { Scope } from '../authz/scopes.js';
import type { Viewer } from '../authz/viewer.js';
import type { CredentialKind, DB } from '../db/schema.js';
import { newId, nowIso } from '../ids.js';
import { type Page, type PageRequest, decodeCursor, toPage } from './pagination.js';
import type { RequestContext } from './request-context.js';
import { recordSecurityEvent } from './security-events.js';
import { requireMember } from '../authz/require-viewer.js';

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

/** Makes a credential and returns its secret, the only time the secret exists outside the caller. */
export async function issueCredential(
  db: Kysely<DB> | Transaction<DB>,
  input: { userId: string; kind: CredentialKind; scopes: readonly Scope[]; name?: string | null; userAgent?: string | null; expiresAt: Date },
): Promise<IssuedCredential> {
  const now = new Date();
  const id = newId();
  const secret = newSecret(input.kind);
  const idleExpiry = new Date(Math.min(input.expiresAt.getTime(), now.getTime() + credentialLifetimes[input.kind].idleMs));
  await db
    .insertInto('credentials')
    .values({
      id,
      user_id: input.userId,
      kind: input.kind,
      token_hash: hashSecret(secret),
      name: input.name ?? null,
      scopes: input.scopes.join(' '),
      user_agent: input.userAgent ?? null,
      created_at: now.toISOString(),
      last_used_at: now.toISOString(),
      idle_expires_at: idleExpiry.toISOString(),
      expires_at: input.expiresAt.toISOString(),
    })
    .execute();
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
      const me = requireMember(viewer).userId;
      return db.transaction().execute(async (trx) => {
        const issued = await issueCredential(trx, { userId: me, kind: 'token', name: input.name, scopes: input.scopes, expiresAt: input.expiresAt });
        await recordSecurityEvent(trx, { type: 'token.created', actorId: me, subjectId: me, ip: context.ip, details: { tokenId: issued.id, name: input.name, scopes: input.scopes.join(' ') } });
        return issued;
      });
    },
  };
}

export type CredentialsRepository = ReturnType<typeof createCredentialsRepository>;
