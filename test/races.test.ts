import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import type { UserViewer } from '../src/authz/viewer.js';
import type { DataLayer } from '../src/data/data-layer.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * Writes that race. Each race runs `rounds` times, `parallel` rounds at a time, each round on
 * members of its own, with the two sides started together so that on PostgreSQL they run on
 * separate pooled connections at the same moment. An invariant that holds only by luck fails
 * here: before follows and blocks took the pair's lock and credentials carried security stamps,
 * these found violations in most runs on PostgreSQL.
 */
const rounds = 120;
const parallel = 10;

let counter = 0;

async function inRounds(work: (round: number) => Promise<string | null>): Promise<string[]> {
  const violations: string[] = [];
  for (let start = 0; start < rounds; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, rounds - start) }, (_, i) => work(start + i));
    for (const outcome of await Promise.all(batch)) if (outcome) violations.push(outcome);
  }
  return violations;
}

/** Settles both sides; a side may lose the race with an error (401, 404), never with a broken invariant. */
async function together<A, B>(a: () => Promise<A>, b: () => Promise<B>): Promise<[A | Error, B | Error]> {
  const settle = <T>(p: Promise<T>) => p.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  return Promise.all([settle(a()), settle(b())]);
}

describeEachDialect('races between writes', (dialect) => {
  let db: TestDatabase;
  let data: DataLayer;
  let passwordHash: string;
  let otherHash: string;
  let admin: UserViewer;

  /** A member with a live session, made through the data layer (no argon2 per member). */
  async function member(prefix: string, role: 'member' | 'admin' = 'member'): Promise<{ id: string; viewer: UserViewer; secret: string }> {
    const username = `${prefix}${++counter}_${randomBytes(3).toString('hex')}`;
    const id = await data.accounts.register({ username, email: `${username}@example.test`, passwordHash, role, profile: 'public' });
    const candidate = await data.accounts.findForLogin(username);
    const session = candidate ? await data.accounts.startSession(candidate, 'race', '127.0.0.1') : null;
    const viewer = session ? await data.accounts.resolveCredential(session.secret) : null;
    if (!session || !viewer) throw new Error('no session');
    return { id, viewer, secret: session.secret };
  }

  async function followEdges(userId: string, viewer: UserViewer) {
    const exported = await data.forViewer(viewer).me.export();
    return { following: exported.following.map((f) => f.userId), followers: exported.followers.map((f) => f.userId) };
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    data = db.data;
    passwordHash = await hashPassword('a long and unusual passphrase 42');
    otherHash = await hashPassword('an entirely different passphrase 7');
    admin = (await member('admin', 'admin')).viewer;
  });

  afterAll(async () => {
    if (db) await db.dispose();
  });

  it('a follow sent with a block never survives the block (either member blocking)', async () => {
    const violations = await inRounds(async (round) => {
      const follower = await member('follower');
      const followee = await member('followee');
      // Half the rounds the followee blocks the follower, half the follower blocks the followee.
      const [blocker, blocked] = round % 2 === 0 ? [followee, follower] : [follower, followee];
      const [, blockOutcome] = await together(
        () => data.forViewer(follower.viewer).follows.follow(followee.id),
        () => data.forViewer(blocker.viewer).blocks.block(blocked.id),
      );
      if (blockOutcome !== true) return `round ${round}: the block did not land (${String(blockOutcome)})`;
      const edges = await followEdges(follower.id, follower.viewer);
      return edges.following.includes(followee.id) ? `round ${round}: the follow outlived the block` : null;
    });
    expect(violations).toEqual([]);
  });

  it('a token made while the password changes never works afterwards', async () => {
    const violations = await inRounds(async (round) => {
      const owner = await member('owner');
      // A second session of the same member: the one that makes the token.
      const candidate = await data.accounts.findForLogin((await data.accounts.card(owner.id))!.username);
      const second = await data.accounts.startSession(candidate!, 'second device', '127.0.0.1');
      const secondViewer = await data.accounts.resolveCredential(second!.secret);
      const [token] = await together(
        () => data.forViewer(secondViewer!).credentials.createToken({ name: 'script', scopes: ['profile:read'], expiresAt: new Date(Date.now() + 86_400_000) }),
        () => data.accounts.changePassword(owner.viewer, otherHash, null),
      );
      if (token instanceof Error) return null;
      if (await data.accounts.resolveCredential(token.secret)) return `round ${round}: the token outlived the password change`;
      if (await data.accounts.resolveCredential(second!.secret)) return `round ${round}: the other session outlived the password change`;
      if (!(await data.accounts.resolveCredential(owner.secret))) return `round ${round}: the session that changed the password was ended`;
      return null;
    });
    expect(violations).toEqual([]);
  });

  it('a login checked before a password change gets no session that outlives it', async () => {
    const violations = await inRounds(async (round) => {
      const owner = await member('relogin');
      // The password was checked against this read; the change lands while the session is made.
      const checked = await data.accounts.findForLogin((await data.accounts.card(owner.id))!.username);
      const [session] = await together(
        () => data.accounts.startSession(checked!, 'late login', '127.0.0.1'),
        () => data.accounts.changePassword(owner.viewer, otherHash, null),
      );
      if (session instanceof Error || session === null) return null;
      return (await data.accounts.resolveCredential(session.secret)) ? `round ${round}: a session for the old password survived` : null;
    });
    expect(violations).toEqual([]);
  });

  it('a token made while an administrator suspends the member never works after unsuspension', async () => {
    const reason = 'investigating a reported account takeover';
    const violations = await inRounds(async (round) => {
      const owner = await member('suspect');
      const [token, suspended] = await together(
        () => data.forViewer(owner.viewer).credentials.createToken({ name: 'script', scopes: ['profile:read'], expiresAt: new Date(Date.now() + 86_400_000) }),
        () => data.forViewer(admin).admin.suspend(owner.id, reason),
      );
      if (suspended !== true) return `round ${round}: the suspension did not land (${String(suspended)})`;
      await data.forViewer(admin).admin.unsuspend(owner.id, reason);
      if (await data.accounts.resolveCredential(owner.secret)) return `round ${round}: the session outlived the suspension`;
      if (token instanceof Error) return null;
      return (await data.accounts.resolveCredential(token.secret)) ? `round ${round}: the token works again after unsuspension` : null;
    });
    expect(violations).toEqual([]);
  });
});
