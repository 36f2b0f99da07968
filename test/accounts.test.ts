import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { type Client, type Member, createClient, testPassword } from './support/http.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

const selfKeys = [
  'id', 'username', 'displayName', 'isPrivate', 'bio', 'location', 'followerCount', 'followingCount', 'workoutCount', 'createdAt',
  'email', 'birthday', 'gender', 'weightKg', 'heightCm', 'role', 'privacy',
].sort();

// Usernames must never be a substring of testPassword (the password rules refuse that).
let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${++counter}`;

/** The parts of a problem document a client compares; request ids and dates differ by design. */
function problem(res: LightMyRequestResponse) {
  const body = res.json() as Record<string, unknown>;
  return { status: res.statusCode, contentType: res.headers['content-type'], wwwAuthenticate: res.headers['www-authenticate'], body };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describeEachDialect('accounts', (dialect) => {
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

  const register = (body: Record<string, unknown>) => client.request('POST', '/api/v1/auth/register', { body });
  const login = (loginName: string, password: string) => client.request('POST', '/api/v1/auth/login', { body: { login: loginName, password } });

  describe('registration', () => {
    it('refuses usernames outside ^[a-z0-9_]{3,30}$', async () => {
      for (const username of ['ab', 'Alice_x', 'al-ice', 'al ice', 'al.ice', 'a'.repeat(31), 'ünïcode', '']) {
        const res = await register({ username, email: `${uniqueName('pat')}@example.test`, password: testPassword });
        expect(res.statusCode, username).toBe(400);
        expect(res.json().code).toBe('validation_failed');
      }
      // Boundaries of the pattern are accepted.
      for (const username of [`x${++counter}`.padEnd(3, '_').slice(0, 3), `${uniqueName('edge')}_`.padEnd(30, '9')]) {
        const res = await register({ username, email: `${username}@example.test`, password: testPassword });
        expect(res.statusCode, `${username}: ${res.body}`).toBe(201);
      }
    });

    it('refuses passwords that are too short, too long, common or personal, and creates nothing', async () => {
      const username = uniqueName('rower');
      const email = `${username}@example.test`;
      const cases: [string, string][] = [
        ['11 characters', 'Kp9!vQm7z#x'],
        ['129 characters', 'Zq8!'.repeat(32) + 'Z'],
        ['a common password', 'qwerty123456'],
        ['a common password in other case', 'QWERTY123456'],
        ['the username', `my ${username} rides fast`],
        ['the username in capitals', `go ${username.toUpperCase()} go go go`],
      ];
      expect([...cases[0]![1]].length).toBe(11);
      expect([...cases[1]![1]].length).toBe(129);
      for (const [label, password] of cases) {
        const res = await register({ username, email, password });
        expect(res.statusCode, label).toBe(400);
        expect(res.json().code, label).toBe('validation_failed');
        expect(res.body, label).not.toContain(password);
      }
      // None of the refusals left an account behind: the same name and email are still free.
      const ok = await register({ username, email, password: 'Kp9!vQm7z#xY' });
      expect(ok.statusCode, ok.body).toBe(201);
      const longest = await register({ username: uniqueName('rower'), email: `${uniqueName('mail')}@example.test`, password: 'Zq8!'.repeat(32) });
      expect(longest.statusCode, longest.body).toBe(201);
    });

    it('answers a taken username and a taken email with the same 409', async () => {
      const taken = uniqueName('taken');
      expect((await register({ username: taken, email: `${taken}@example.test`, password: testPassword })).statusCode).toBe(201);

      const byUsername = await register({ username: taken, email: `${uniqueName('other')}@example.test`, password: testPassword });
      const byEmail = await register({ username: uniqueName('other'), email: `${taken}@example.test`, password: testPassword });
      const byEmailCase = await register({ username: uniqueName('other'), email: `${taken.toUpperCase()}@EXAMPLE.TEST`, password: testPassword });

      expect(byUsername.statusCode).toBe(409);
      const pick = (res: LightMyRequestResponse) => {
        const { type, title, status, detail, code } = res.json();
        return { type, title, status, detail, code };
      };
      expect(pick(byUsername).code).toBe('account_taken');
      expect(pick(byEmail)).toEqual(pick(byUsername));
      expect(pick(byEmailCase)).toEqual(pick(byUsername));
      expect(byEmail.headers['content-type']).toBe(byUsername.headers['content-type']);
    });

    it('answers with the self view and never the password or its hash', async () => {
      const username = uniqueName('cyclist');
      const res = await register({ username, email: `${username}@Example.test`, password: testPassword, displayName: 'Cy Clist' });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(Object.keys(body)).toEqual(['user']);
      expect(Object.keys(body.user).sort()).toEqual(selfKeys);
      expect(body.user).toMatchObject({ username, email: `${username}@example.test`, displayName: 'Cy Clist', role: 'member' });
      expect(res.body).not.toContain(testPassword);
      expect(res.body).not.toMatch(/argon2|password/i);
    });
  });

  describe('login', () => {
    let member: Member;

    beforeAll(async () => {
      member = await client.member(uniqueName('runner'));
    });

    it('works by username and by email (any case) and answers a card with a bearer token', async () => {
      for (const name of [member.username, member.email, member.email.toUpperCase(), member.username.toUpperCase()]) {
        const res = await login(name, member.password);
        expect(res.statusCode, name).toBe(200);
        const body = res.json();
        expect(body.tokenType).toBe('Bearer');
        expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
        expect(body.user).toEqual({ id: member.id, username: member.username, displayName: member.username, isPrivate: true });
        const me = await client.request('GET', '/api/v1/me', { token: body.token });
        expect(me.statusCode).toBe(200);
        expect(me.json().id).toBe(member.id);
      }
    });

    it('answers an unknown login and a wrong password identically, with similar timing', async () => {
      // A fresh app, so the throttle counts of other tests cannot interfere.
      const own = await createClient(db.data);
      const ownLogin = (name: string, password: string) => own.request('POST', '/api/v1/auth/login', { body: { login: name, password } });
      try {
        const [first, second] = [await own.member(uniqueName('timer')), await own.member(uniqueName('timer'))];
        const unknown = await ownLogin(uniqueName('nobody'), member.password);
        const wrong = await ownLogin(first.username, 'not the right password');
        const unknownEmail = await ownLogin(`${uniqueName('nobody')}@example.test`, member.password);
        expect(unknown.statusCode).toBe(401);
        expect(problem(unknown).body.code).toBe('invalid_credentials');
        expect(problem(wrong)).toEqual(problem(unknown));
        expect(problem(unknownEmail)).toEqual(problem(unknown));
        expect(unknown.headers['www-authenticate']).toMatch(/^Bearer/);

        // Interleaved, and at most four failures per account so no throttle is reached.
        const unknownTimes: number[] = [];
        const wrongTimes: number[] = [];
        for (let i = 0; i < 8; i++) {
          let started = performance.now();
          expect((await ownLogin(uniqueName('ghost'), 'not the right password')).statusCode).toBe(401);
          unknownTimes.push(performance.now() - started);
          started = performance.now();
          expect((await ownLogin((i % 2 === 0 ? first : second).username, 'not the right password')).statusCode).toBe(401);
          wrongTimes.push(performance.now() - started);
        }
        const ratio = median(unknownTimes) / median(wrongTimes);
        expect(ratio, `unknown ${median(unknownTimes)} ms, wrong ${median(wrongTimes)} ms`).toBeGreaterThan(1 / 3);
        expect(ratio, `unknown ${median(unknownTimes)} ms, wrong ${median(wrongTimes)} ms`).toBeLessThan(3);
      } finally {
        await own.app.close();
      }
    });

    it('tells only someone with the right password that an account is suspended', async () => {
      const suspended = await client.member(uniqueName('benched'));
      const admin = uniqueName('boss');
      const adminPassword = 'the administrators own passphrase';
      await db.data.accounts.register({ username: admin, email: `${admin}@example.test`, role: 'admin', passwordHash: await hashPassword(adminPassword) });
      const adminToken = (await login(admin, adminPassword)).json().token as string;
      const suspend = await client.request('POST', `/api/v1/admin/users/${suspended.id}/suspend`, { token: adminToken, headers: { 'x-access-reason': 'testing suspended logins' } });
      expect(suspend.statusCode).toBe(204);

      const right = await login(suspended.username, suspended.password);
      expect(right.statusCode).toBe(403);
      expect(right.json().code).toBe('account_suspended');
      expect(right.body).not.toContain('token');

      const wrong = await login(suspended.username, 'not the right password');
      const unknown = await login(uniqueName('nobody'), 'not the right password');
      expect(wrong.statusCode).toBe(401);
      expect(problem(wrong)).toEqual(problem(unknown));
    });
  });

  describe('tokens', () => {
    it('logout revokes the token used', async () => {
      const member = await client.member(uniqueName('leaver'));
      const other = (await login(member.username, member.password)).json().token as string;
      expect((await client.request('POST', '/api/v1/auth/logout', { token: member.token })).statusCode).toBe(204);

      const after = await client.request('GET', '/api/v1/me', { token: member.token });
      expect(after.statusCode).toBe(401);
      expect(after.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await client.request('POST', '/api/v1/auth/logout', { token: member.token })).statusCode).toBe(401);
      // Only the token used: the member's other session lives on.
      expect((await client.request('GET', '/api/v1/me', { token: other })).statusCode).toBe(200);
    });

    it('refuses a made-up, malformed or revoked token even where no token is needed', async () => {
      const member = await client.member(uniqueName('revoked'));
      await client.request('POST', '/api/v1/auth/logout', { token: member.token });
      const bad = {
        revoked: `Bearer ${member.token}`,
        'made-up session': `Bearer pls_${'A'.repeat(43)}`,
        'made-up token': `Bearer plt_${'b'.repeat(43)}`,
        malformed: 'Bearer not-a-token',
        'truncated': `Bearer ${member.token.slice(0, -1)}`,
        empty: 'Bearer ',
        'another scheme': `Basic ${Buffer.from('a:b').toString('base64')}`,
      };
      for (const [label, authorization] of Object.entries(bad)) {
        for (const [method, url] of [['GET', '/healthz'], ['GET', '/readyz'], ['POST', '/api/v1/auth/login']] as const) {
          const res = await client.request(method, url, { headers: { authorization }, ...(method === 'POST' ? { body: { login: member.username, password: member.password } } : {}) });
          expect(res.statusCode, `${label} on ${url}`).toBe(401);
          expect(res.headers['www-authenticate'], `${label} on ${url}`).toMatch(/^Bearer/);
          expect(res.body).not.toContain(member.token);
        }
      }
      // The same endpoints without a token are fine.
      expect((await client.request('GET', '/healthz')).statusCode).toBe(200);
    });
  });

  describe('password change', () => {
    it('needs the current password, then keeps only the current session', async () => {
      const member = await client.member(uniqueName('changer'));
      const secondSession = (await login(member.username, member.password)).json().token as string;
      const pat = await client.request('POST', '/api/v1/me/tokens', { token: member.token, body: { name: 'script', scopes: ['profile:read'] } });
      expect(pat.statusCode).toBe(201);
      const patToken = pat.json().token as string;
      const newPassword = 'a brand new passphrase for 2025';

      const wrongCurrent = await client.request('POST', '/api/v1/me/password', { token: member.token, body: { currentPassword: 'not the right password', newPassword } });
      expect(wrongCurrent.statusCode).toBe(400);
      expect(wrongCurrent.body).not.toContain(newPassword);
      // A refused change changes nothing.
      expect((await client.request('GET', '/api/v1/me', { token: secondSession })).statusCode).toBe(200);
      expect((await client.request('GET', '/api/v1/me', { token: patToken })).statusCode).toBe(200);
      expect((await login(member.username, newPassword)).statusCode).toBe(401);

      const common = await client.request('POST', '/api/v1/me/password', { token: member.token, body: { currentPassword: member.password, newPassword: 'qwerty123456' } });
      expect(common.statusCode).toBe(400);
      const personal = await client.request('POST', '/api/v1/me/password', { token: member.token, body: { currentPassword: member.password, newPassword: `i am ${member.username} ok` } });
      expect(personal.statusCode).toBe(400);
      expect((await client.request('GET', '/api/v1/me', { token: secondSession })).statusCode).toBe(200);

      const changed = await client.request('POST', '/api/v1/me/password', { token: member.token, body: { currentPassword: member.password, newPassword } });
      expect(changed.statusCode, changed.body).toBe(204);
      expect((await client.request('GET', '/api/v1/me', { token: member.token })).statusCode).toBe(200);
      expect((await client.request('GET', '/api/v1/me', { token: secondSession })).statusCode).toBe(401);
      expect((await client.request('GET', '/api/v1/me', { token: patToken })).statusCode).toBe(401);
      expect((await login(member.username, member.password)).statusCode).toBe(401);
      expect((await login(member.username, newPassword)).statusCode).toBe(200);
    });
  });

  describe('account deletion', () => {
    it('with the wrong password changes nothing', async () => {
      const member = await client.member(uniqueName('keeper'));
      const res = await client.request('DELETE', '/api/v1/me', { token: member.token, body: { password: 'not the right password' } });
      expect(res.statusCode).toBe(400);
      expect((await client.request('GET', '/api/v1/me', { token: member.token })).statusCode).toBe(200);
      expect((await login(member.username, member.password)).statusCode).toBe(200);
    });

    it('with the right password erases the account and ends its sessions', async () => {
      const member = await client.member(uniqueName('eraser'));
      const observer = await client.member(uniqueName('observer'));
      const secondSession = (await login(member.username, member.password)).json().token as string;
      const pat = (await client.request('POST', '/api/v1/me/tokens', { token: member.token, body: { name: 'script', scopes: ['profile:read'] } })).json().token as string;
      // Visible to others before, so the 404 afterwards means something.
      expect((await client.request('GET', `/api/v1/users/${member.id}`, { token: observer.token })).statusCode).toBe(200);

      const res = await client.request('DELETE', '/api/v1/me', { token: member.token, body: { password: member.password } });
      expect(res.statusCode, res.body).toBe(204);

      for (const token of [member.token, secondSession, pat]) {
        const me = await client.request('GET', '/api/v1/me', { token });
        expect(me.statusCode).toBe(401);
      }
      const gone = await client.request('GET', `/api/v1/users/${member.id}`, { token: observer.token });
      const neverWas = await client.request('GET', '/api/v1/users/00000000-0000-4000-8000-000000000000', { token: observer.token });
      expect(gone.statusCode).toBe(404);
      expect(problem(gone)).toEqual(problem(neverWas));
      expect((await client.request('GET', `/api/v1/users/by-username/${member.username}`, { token: observer.token })).statusCode).toBe(404);

      const again = await login(member.username, member.password);
      expect(problem(again)).toEqual(problem(await login(uniqueName('nobody'), member.password)));
      expect(again.statusCode).toBe(401);
    });
  });
});
