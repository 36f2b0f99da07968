import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { hashSecret } from '../src/auth/tokens.js';
import { type DataLayer, openDataLayer } from '../src/data/data-layer.js';
import { type Client, type Member, createClient } from './support/http.js';
import { type DialectName, type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

const day = 24 * 3600_000;

const allScopes = ['profile:read', 'profile:write', 'workouts:read', 'workouts:write', 'social:write'];

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${++counter}`;

/**
 * A database whose credentials table the test can read directly, to see what is stored. The shared
 * support database is in-memory for SQLite, so SQLite gets a throw-away file here.
 */
async function inspectableDatabase(dialect: DialectName): Promise<{ data: DataLayer; credentialRows(): Promise<Record<string, unknown>[]>; dispose(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'paceline-tokens-'));
    const data = openDataLayer(`sqlite:${path.join(dir, 'test.db')}`);
    await data.migrate();
    return {
      data,
      async credentialRows() {
        const reader = new BetterSqlite3(path.join(dir, 'test.db'), { readonly: true });
        try {
          return reader.prepare('select * from credentials').all() as Record<string, unknown>[];
        } finally {
          reader.close();
        }
      },
      async dispose() {
        await data.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const test = await createTestDatabase('postgres');
  return {
    data: test.data,
    async credentialRows() {
      const reader = new pg.Client({ connectionString: test.url });
      await reader.connect();
      try {
        return (await reader.query('select * from credentials')).rows as Record<string, unknown>[];
      } finally {
        await reader.end();
      }
    },
    dispose: () => test.dispose(),
  };
}

describeEachDialect('tokens and sessions', (dialect) => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    client = await createClient(db.data);
  });

  afterAll(async () => {
    await client?.app.close();
    if (db) await db.dispose();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const get = (url: string, token: string) => client.request('GET', url, { token });
  const login = async (member: Member, userAgent = 'test-agent/1.0') => {
    const res = await client.request('POST', '/api/v1/auth/login', { body: { login: member.username, password: member.password }, headers: { 'user-agent': userAgent } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { token: string; expiresAt: string };
  };
  const createToken = async (member: Member, body: Record<string, unknown>) => {
    const res = await client.request('POST', '/api/v1/me/tokens', { token: member.token, body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; name: string; scopes: string[]; expiresAt: string; token: string };
  };

  describe('secrets', () => {
    it('are long random strings, shown once, and never listed or exported', async () => {
      const member = await client.member(uniqueName('keyholder'));
      const secrets = [member.token, (await login(member)).token];
      const created = await createToken(member, { name: 'laptop script', scopes: ['profile:read', 'workouts:read'] });
      expect(created).toMatchObject({ name: 'laptop script', scopes: ['profile:read', 'workouts:read'] });
      secrets.push(created.token);
      for (let i = 0; i < 3; i++) secrets.push((await createToken(member, { name: `t${i}`, scopes: ['profile:read'] })).token);

      for (const secret of secrets) {
        // An optional kind prefix, then base64url: at least 22 characters is at least 132 bits.
        const random = secret.replace(/^[a-z]{2,5}_/, '');
        expect(random).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(random.length * 6).toBeGreaterThanOrEqual(128);
        expect(new Set(random).size).toBeGreaterThan(8);
      }
      expect(new Set(secrets).size).toBe(secrets.length);

      const list = await get('/api/v1/me/tokens', member.token);
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toHaveLength(4);
      const listed = list.json().items.find((item: { id: string }) => item.id === created.id);
      expect(Object.keys(listed).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'scopes']);
      const sessions = await get('/api/v1/me/sessions', member.token);
      const exported = await get('/api/v1/me/export', member.token);
      expect(exported.statusCode).toBe(200);
      expect(exported.json().credentials).toHaveLength(6);
      for (const res of [list, sessions, exported]) {
        for (const secret of secrets) {
          expect(res.body).not.toContain(secret);
          expect(res.body).not.toContain(secret.slice(-20));
          expect(res.body).not.toContain(hashSecret(secret));
        }
      }
    });

    it('are stored only as their hash', async () => {
      const own = await inspectableDatabase(dialect);
      const ownClient = await createClient(own.data);
      try {
        const member = await ownClient.member(uniqueName('hashed'));
        const pat = await ownClient.request('POST', '/api/v1/me/tokens', { token: member.token, body: { name: 'ci', scopes: allScopes } });
        const patSecret = pat.json().token as string;
        const rows = await own.credentialRows();
        expect(rows).toHaveLength(2);
        const dump = JSON.stringify(rows);
        for (const secret of [member.token, patSecret]) {
          expect(dump).not.toContain(secret);
          expect(dump).not.toContain(secret.slice(-20));
          expect(rows.filter((row) => Object.values(row).includes(hashSecret(secret)))).toHaveLength(1);
        }
      } finally {
        await ownClient.app.close();
        await own.dispose();
      }
    });
  });

  describe('personal access tokens', () => {
    it('hold only their scopes', async () => {
      const member = await client.member(uniqueName('scoped'));
      const reader = await createToken(member, { name: 'reader', scopes: ['profile:read'] });
      expect((await get('/api/v1/me', reader.token)).statusCode).toBe(200);
      const patch = await client.request('PATCH', '/api/v1/me', { token: reader.token, body: { bio: 'written by a read-only token' } });
      expect(patch.statusCode).toBe(403);
      expect(patch.json().code).toBe('insufficient_scope');
      expect(patch.headers['www-authenticate']).toMatch(/insufficient_scope/);
      expect((await get('/api/v1/me', member.token)).json().bio).toBeNull();

      const writer = await createToken(member, { name: 'writer', scopes: ['profile:write'] });
      expect((await get('/api/v1/me', writer.token)).statusCode).toBe(403);
      const written = await client.request('PATCH', '/api/v1/me', { token: writer.token, body: { bio: 'written by a write token' } });
      expect(written.statusCode).toBe(200);
    });

    it('are refused by every session-only operation, even with every scope', async () => {
      const member = await client.member(uniqueName('sessiononly'));
      const adminName = uniqueName('chief');
      const adminPassword = 'chief administrator passphrase';
      await db.data.accounts.register({ username: adminName, email: `${adminName}@example.test`, role: 'admin', passwordHash: await hashPassword(adminPassword) });
      const admin: Member = { id: '', username: adminName, email: `${adminName}@example.test`, password: adminPassword, token: '' };
      admin.token = (await login(admin)).token;

      const pat = await createToken(member, { name: 'everything', scopes: allScopes, expiresInDays: 365 });
      const adminPat = await createToken(admin, { name: 'everything', scopes: allScopes });
      const sessionId = (await get('/api/v1/me/sessions', member.token)).json().items[0].id as string;
      const reason = { 'x-access-reason': 'checking that tokens cannot administer' };

      // Bodies are valid and passwords right, so only the credential kind can stop them.
      const attempts: [string, string, string, unknown?, Record<string, string>?][] = [
        [pat.token, 'GET', '/api/v1/me/sessions'],
        [pat.token, 'DELETE', `/api/v1/me/sessions/${sessionId}`],
        [pat.token, 'POST', '/api/v1/me/tokens', { name: 'child', scopes: ['profile:read'] }],
        [pat.token, 'GET', '/api/v1/me/tokens'],
        [pat.token, 'DELETE', `/api/v1/me/tokens/${pat.id}`],
        [pat.token, 'POST', '/api/v1/me/password', { currentPassword: member.password, newPassword: 'a token chose this passphrase' }],
        [pat.token, 'DELETE', '/api/v1/me', { password: member.password }],
        [pat.token, 'GET', '/api/v1/me/export'],
        [adminPat.token, 'GET', `/api/v1/admin/users/${member.id}`, undefined, reason],
        [adminPat.token, 'POST', `/api/v1/admin/users/${member.id}/suspend`, undefined, reason],
        [adminPat.token, 'POST', `/api/v1/admin/users/${member.id}/unsuspend`, undefined, reason],
        [adminPat.token, 'GET', '/api/v1/admin/security-events'],
      ];
      for (const [token, method, url, body, headers] of attempts) {
        const res = await client.request(method, url, { token, body, ...(headers ? { headers } : {}) });
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
        expect(res.json().code, `${method} ${url}`).toBe('insufficient_scope');
      }

      // Nothing happened: the session, the token, the password and the account are as they were.
      expect((await get('/api/v1/me', member.token)).statusCode).toBe(200);
      expect((await get('/api/v1/me', pat.token)).statusCode).toBe(200);
      expect((await get('/api/v1/me/tokens', member.token)).json().items).toHaveLength(1);
      expect((await login(member)).token).toBeTruthy();
      const events = await client.request('GET', `/api/v1/admin/security-events?actorId=${member.id}&type=password.changed`, { token: admin.token });
      expect(events.statusCode).toBe(200);
      expect(events.json().items).toHaveLength(0);
    });

    it('last 90 days by default and at most 365', async () => {
      const member = await client.member(uniqueName('lifetime'));
      const now = new Date('2031-03-01T12:00:00.000Z');
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(now);
      const session = (await login(member)).token;
      const use = { ...member, token: session };

      const byDefault = await createToken(use, { name: 'default', scopes: ['profile:read'] });
      expect(byDefault.expiresAt).toBe(new Date(now.getTime() + 90 * day).toISOString());
      const longest = await createToken(use, { name: 'longest', scopes: ['profile:read'], expiresInDays: 365 });
      expect(longest.expiresAt).toBe(new Date(now.getTime() + 365 * day).toISOString());
      for (const expiresInDays of [366, 0, -1, 1.5, 100_000]) {
        const res = await client.request('POST', '/api/v1/me/tokens', { token: session, body: { name: 'bad', scopes: ['profile:read'], expiresInDays } });
        expect(res.statusCode, String(expiresInDays)).toBe(400);
      }
      for (const body of [{ name: 'no scopes', scopes: [] }, { name: 'bogus', scopes: ['admin'] }, { name: '', scopes: ['profile:read'] }]) {
        expect((await client.request('POST', '/api/v1/me/tokens', { token: session, body })).statusCode).toBe(400);
      }

      // A short-lived token stops working at its expiry, even while in use.
      const short = await createToken(use, { name: 'short', scopes: ['profile:read'], expiresInDays: 1 });
      vi.setSystemTime(now.getTime() + day - 60_000);
      expect((await get('/api/v1/me', short.token)).statusCode).toBe(200);
      vi.setSystemTime(now.getTime() + day + 1_000);
      expect((await get('/api/v1/me', short.token)).statusCode).toBe(401);
      expect((await get('/api/v1/me', byDefault.token)).statusCode).toBe(200);
    });
  });

  describe('listing and revoking', () => {
    it('marks the current session', async () => {
      const member = await client.member(uniqueName('lister'));
      const second = (await login(member, 'second-device/2.0')).token;
      const first = await get('/api/v1/me/sessions', member.token);
      const fromSecond = await get('/api/v1/me/sessions', second);
      expect(first.json().items).toHaveLength(2);
      expect(fromSecond.json().items).toHaveLength(2);
      const currentOf = (res: typeof first) => res.json().items.filter((item: { current: boolean }) => item.current);
      expect(currentOf(first)).toHaveLength(1);
      expect(currentOf(fromSecond)).toHaveLength(1);
      expect(currentOf(fromSecond)[0].id).not.toBe(currentOf(first)[0].id);
      expect(currentOf(fromSecond)[0].userAgent).toBe('second-device/2.0');
    });

    it('revokes own sessions and tokens, and never another member’s', async () => {
      const alice = await client.member(uniqueName('owner'));
      const mallory = await client.member(uniqueName('intruder'));
      const aliceSecond = (await login(alice)).token;
      const aliceToken = await createToken(alice, { name: 'script', scopes: ['profile:read'] });
      const aliceSessions = (await get('/api/v1/me/sessions', aliceSecond)).json().items as { id: string; current: boolean }[];
      const aliceSecondId = aliceSessions.find((s) => s.current)!.id;
      const aliceFirstId = aliceSessions.find((s) => !s.current)!.id;

      // Another member's ids are as unknown as made-up ones: 404, and nothing is revoked.
      for (const url of [`/api/v1/me/sessions/${aliceSecondId}`, `/api/v1/me/tokens/${aliceToken.id}`]) {
        const res = await client.request('DELETE', url, { token: mallory.token });
        expect(res.statusCode, url).toBe(404);
        expect(res.json().code).toBe('not_found');
      }
      expect((await get('/api/v1/me', aliceSecond)).statusCode).toBe(200);
      expect((await get('/api/v1/me', aliceToken.token)).statusCode).toBe(200);
      expect((await get('/api/v1/me/tokens', alice.token)).json().items).toHaveLength(1);

      // A session id is not a token id and the other way round.
      expect((await client.request('DELETE', `/api/v1/me/tokens/${aliceSecondId}`, { token: alice.token })).statusCode).toBe(404);
      expect((await client.request('DELETE', `/api/v1/me/sessions/${aliceToken.id}`, { token: alice.token })).statusCode).toBe(404);
      expect((await get('/api/v1/me', aliceToken.token)).statusCode).toBe(200);

      expect((await client.request('DELETE', `/api/v1/me/sessions/${aliceSecondId}`, { token: alice.token })).statusCode).toBe(204);
      expect((await get('/api/v1/me', aliceSecond)).statusCode).toBe(401);
      expect((await client.request('DELETE', `/api/v1/me/tokens/${aliceToken.id}`, { token: alice.token })).statusCode).toBe(204);
      expect((await get('/api/v1/me', aliceToken.token)).statusCode).toBe(401);
      expect((await get('/api/v1/me/tokens', alice.token)).json().items).toHaveLength(0);
      expect((await get('/api/v1/me/sessions', alice.token)).json().items.map((s: { id: string }) => s.id)).toEqual([aliceFirstId]);
      // Revoking again is a 404, not a silent success.
      expect((await client.request('DELETE', `/api/v1/me/sessions/${aliceSecondId}`, { token: alice.token })).statusCode).toBe(404);
    });
  });

  describe('session expiry', () => {
    it('ends a session 30 days after login however busy it is', async () => {
      const member = await client.member(uniqueName('marathoner'));
      const start = new Date('2031-06-01T08:00:00.000Z').getTime();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start);
      const session = await login(member);
      expect(session.expiresAt).toBe(new Date(start + 30 * day).toISOString());

      // Used every five days, so idle expiry never bites.
      for (let days = 5; days < 30; days += 5) {
        vi.setSystemTime(start + days * day);
        expect((await get('/api/v1/me', session.token)).statusCode, `day ${days}`).toBe(200);
      }
      vi.setSystemTime(start + 30 * day - 60_000);
      expect((await get('/api/v1/me', session.token)).statusCode).toBe(200);
      vi.setSystemTime(start + 30 * day + 1_000);
      const expired = await get('/api/v1/me', session.token);
      expect(expired.statusCode).toBe(401);
      expect(expired.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await get('/healthz', session.token)).statusCode).toBe(401);
    });

    it('ends a session after 7 idle days, and each use extends it', async () => {
      const member = await client.member(uniqueName('sleeper'));
      const start = new Date('2031-09-01T08:00:00.000Z').getTime();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start);
      const busy = (await login(member)).token;
      const idle = (await login(member)).token;

      vi.setSystemTime(start + 6 * day);
      expect((await get('/api/v1/me', busy)).statusCode).toBe(200);
      // Twelve days after login but six after the last use: still alive.
      vi.setSystemTime(start + 12 * day);
      expect((await get('/api/v1/me', busy)).statusCode).toBe(200);
      expect((await get('/api/v1/me', idle)).statusCode).toBe(401);
      // Seven days and a minute after the last use: over.
      vi.setSystemTime(start + 19 * day + 60_000);
      expect((await get('/api/v1/me', busy)).statusCode).toBe(401);
    });

    it('idles out exactly 7 days after the last use', async () => {
      const member = await client.member(uniqueName('napper'));
      const start = new Date('2031-11-01T08:00:00.000Z').getTime();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start);
      const token = (await login(member)).token;
      vi.setSystemTime(start + 7 * day - 60_000);
      expect((await get('/api/v1/me', token)).statusCode).toBe(200);
      vi.setSystemTime(start + 14 * day - 120_000);
      expect((await get('/api/v1/me', token)).statusCode).toBe(200);
      vi.setSystemTime(start + 21 * day);
      expect((await get('/api/v1/me', token)).statusCode).toBe(401);
    });

    it('records lastUsedAt at most once a minute', async () => {
      const member = await client.member(uniqueName('toucher'));
      const start = new Date('2032-01-01T08:00:00.000Z').getTime();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start);
      const token = (await login(member)).token;
      const lastUsed = async () => ((await get('/api/v1/me/sessions', token)).json().items as { current: boolean; lastUsedAt: string }[]).find((s) => s.current)!.lastUsedAt;
      expect(await lastUsed()).toBe(new Date(start).toISOString());
      vi.setSystemTime(start + 30_000);
      expect(await lastUsed()).toBe(new Date(start).toISOString());
      vi.setSystemTime(start + 90_000);
      expect(await lastUsed()).toBe(new Date(start + 90_000).toISOString());
    });
  });
});
