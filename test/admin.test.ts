import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { type Client, type Member, createClient } from './support/http.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${++counter}`;
const adminPassword = 'the keys to the whole kingdom';
const unknownId = '00000000-0000-4000-8000-000000000000';

describeEachDialect('administration', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  let admin: Member;

  /** Admins are made outside the API (the CLI does this), then log in like anyone else. */
  async function makeUser(role: 'admin' | 'instructor', prefix: string): Promise<Member> {
    const username = uniqueName(prefix);
    const email = `${username}@example.test`;
    const id = await db.data.accounts.register({ username, email, role, passwordHash: await hashPassword(adminPassword) });
    const login = await client.request('POST', '/api/v1/auth/login', { body: { login: username, password: adminPassword } });
    expect(login.statusCode, login.body).toBe(200);
    return { id, username, email, password: adminPassword, token: login.json().token as string };
  }

  const reason = (text = 'support ticket 4711: member asked for help') => ({ 'x-access-reason': text });
  const viewUser = (token: string | null, userId: string, headers: Record<string, string> = reason()) =>
    client.request('GET', `/api/v1/admin/users/${userId}`, { token, headers });
  const setStatus = (token: string | null, userId: string, action: 'suspend' | 'unsuspend', headers: Record<string, string> = reason()) =>
    client.request('POST', `/api/v1/admin/users/${userId}/${action}`, { token, headers });
  const login = (member: Member) => client.request('POST', '/api/v1/auth/login', { body: { login: member.username, password: member.password } });

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    client = await createClient(db.data);
    admin = await makeUser('admin', 'overseer');
  });

  afterAll(async () => {
    await client?.app.close();
    if (db) await db.dispose();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('access', () => {
    it('requires an X-Access-Reason of 10 to 500 characters on every member operation', async () => {
      const member = await client.member(uniqueName('subject'));
      const bad: [string, Record<string, string>][] = [
        ['missing', {}],
        ['empty', reason('')],
        ['9 characters', reason('x'.repeat(9))],
        ['501 characters', reason('y'.repeat(501))],
      ];
      for (const [label, headers] of bad) {
        const view = await viewUser(admin.token, member.id, headers);
        expect(view.statusCode, `view, ${label}`).toBe(400);
        expect(view.json().code).toBe('validation_failed');
        expect(view.body).not.toContain(member.email);
        for (const action of ['suspend', 'unsuspend'] as const) {
          const res = await setStatus(admin.token, member.id, action, headers);
          expect(res.statusCode, `${action}, ${label}`).toBe(400);
        }
      }
      // None of the refused calls suspended the member.
      expect((await client.request('GET', '/api/v1/me', { token: member.token })).statusCode).toBe(200);

      expect((await viewUser(admin.token, member.id, reason('z'.repeat(10)))).statusCode).toBe(200);
      expect((await viewUser(admin.token, member.id, reason('w'.repeat(500)))).statusCode).toBe(200);
    });

    it('is for admins only: anonymous 401, members and instructors 403', async () => {
      const member = await client.member(uniqueName('curious'));
      const instructor = await makeUser('instructor', 'coach');
      const target = await client.member(uniqueName('target'));
      const operations = [
        () => ['GET', `/api/v1/admin/users/${target.id}`] as const,
        () => ['POST', `/api/v1/admin/users/${target.id}/suspend`] as const,
        () => ['POST', `/api/v1/admin/users/${target.id}/unsuspend`] as const,
        () => ['GET', '/api/v1/admin/security-events'] as const,
      ];
      for (const operation of operations) {
        const [method, url] = operation();
        const anonymous = await client.request(method, url, { headers: reason() });
        expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
        expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
        for (const caller of [member, instructor]) {
          const res = await client.request(method, url, { token: caller.token, headers: reason() });
          expect(res.statusCode, `${caller.username}: ${method} ${url}`).toBe(403);
          expect(res.json().code).toBe('forbidden');
          expect(res.body).not.toContain(target.email);
        }
      }
      // The target was never suspended and no access to them was recorded.
      const activity = await client.request('GET', '/api/v1/me/security-activity', { token: target.token });
      expect(activity.json().items.map((item: { type: string }) => item.type)).not.toContain('admin.user_viewed');
      expect((await client.request('GET', '/api/v1/me', { token: target.token })).statusCode).toBe(200);
    });
  });

  describe('viewing a member', () => {
    it('answers the self view plus status, and 404 for nobody', async () => {
      const member = await client.member(uniqueName('viewed'));
      await client.request('PATCH', '/api/v1/me', { token: member.token, body: { birthday: '1990-04-02', weightKg: 71.5, bio: 'rides at dawn' } });
      const self = (await client.request('GET', '/api/v1/me', { token: member.token })).json();

      const res = await viewUser(admin.token, member.id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ ...self, status: 'active' });
      expect(res.body).not.toMatch(/argon2|password/i);

      const missing = await viewUser(admin.token, unknownId);
      expect(missing.statusCode).toBe(404);
      expect((await viewUser(admin.token, 'not-a-uuid')).statusCode).toBe(400);
    });

    it('shows the member the access and its reason, by role and never by name', async () => {
      const member = await client.member(uniqueName('watched'));
      const why = 'chargeback dispute 8812 needs the billing email';
      expect((await viewUser(admin.token, member.id, reason(why))).statusCode).toBe(200);

      const res = await client.request('GET', '/api/v1/me/security-activity', { token: member.token });
      expect(res.statusCode).toBe(200);
      const viewed = res.json().items.filter((item: { type: string }) => item.type === 'admin.user_viewed');
      expect(viewed).toHaveLength(1);
      expect(viewed[0]).toMatchObject({ actorRole: 'admin', reason: why, ip: null });
      expect(Date.parse(viewed[0].occurredAt)).not.toBeNaN();
      expect(res.body).not.toContain(admin.id);
      expect(res.body).not.toContain(admin.username);
      expect(res.body).not.toContain(admin.email);

      // The export carries the same activity, under the same rule.
      const exported = await client.request('GET', '/api/v1/me/export', { token: member.token });
      expect(exported.body).toContain(why);
      expect(exported.body).not.toContain(admin.id);
      expect(exported.body).not.toContain(admin.username);

      // The admin log keeps who it was.
      const log = await client.request('GET', `/api/v1/admin/security-events?type=admin.user_viewed&actorId=${admin.id}`, { token: admin.token });
      const entry = log.json().items.find((item: { subjectId: string }) => item.subjectId === member.id);
      expect(entry).toMatchObject({ actorId: admin.id, actorRole: 'admin', reason: why });
    });
  });

  describe('suspension', () => {
    it('ends the member’s sessions and tokens, hides them, and blocks login until lifted', async () => {
      const member = await client.member(uniqueName('rulebreaker'));
      const observer = await client.member(uniqueName('bystander'));
      const pat = (await client.request('POST', '/api/v1/me/tokens', { token: member.token, body: { name: 'script', scopes: ['profile:read'] } })).json().token as string;
      const search = async () =>
        ((await client.request('GET', `/api/v1/users?q=${member.username}`, { token: observer.token })).json().items as { id: string }[]).map((u) => u.id);
      // Visible before, so the answers after mean something.
      expect(await search()).toContain(member.id);
      expect((await client.request('GET', `/api/v1/users/${member.id}`, { token: observer.token })).statusCode).toBe(200);

      expect((await setStatus(admin.token, member.id, 'suspend')).statusCode).toBe(204);

      for (const token of [member.token, pat]) {
        const res = await client.request('GET', '/api/v1/me', { token });
        expect(res.statusCode).toBe(401);
      }
      const hidden = await client.request('GET', `/api/v1/users/${member.id}`, { token: observer.token });
      const absent = await client.request('GET', `/api/v1/users/${unknownId}`, { token: observer.token });
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json()).toEqual(absent.json());
      expect((await client.request('GET', `/api/v1/users/by-username/${member.username}`, { token: observer.token })).statusCode).toBe(404);
      expect(await search()).not.toContain(member.id);

      const refused = await login(member);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('account_suspended');

      // The admin still sees them, with their status.
      const view = await viewUser(admin.token, member.id);
      expect(view.statusCode).toBe(200);
      expect(view.json().status).toBe('suspended');

      expect((await setStatus(admin.token, member.id, 'unsuspend')).statusCode).toBe(204);
      const back = await login(member);
      expect(back.statusCode).toBe(200);
      const token = back.json().token as string;
      expect((await client.request('GET', '/api/v1/me', { token })).statusCode).toBe(200);
      expect(await search()).toContain(member.id);
      // Revoked means revoked: lifting the suspension does not bring old credentials back.
      expect((await client.request('GET', '/api/v1/me', { token: member.token })).statusCode).toBe(401);
      expect((await client.request('GET', '/api/v1/me', { token: pat })).statusCode).toBe(401);

      // The member learns of both actions and their reasons.
      const activity = (await client.request('GET', '/api/v1/me/security-activity', { token })).json().items as { type: string; actorRole: string; reason: string }[];
      const adminActions = activity.filter((item) => item.type.startsWith('admin.'));
      expect(adminActions.map((item) => item.type).sort()).toEqual(['admin.user_suspended', 'admin.user_unsuspended', 'admin.user_viewed']);
      for (const item of adminActions) expect(item).toMatchObject({ actorRole: 'admin', reason: reason()['x-access-reason'] });
    });

    it('cannot be applied by an admin to themself, or to nobody', async () => {
      const self = await setStatus(admin.token, admin.id, 'suspend');
      expect(self.statusCode).toBe(400);
      expect((await client.request('GET', '/api/v1/me', { token: admin.token })).statusCode).toBe(200);
      expect((await setStatus(admin.token, unknownId, 'suspend')).statusCode).toBe(404);
      expect((await setStatus(admin.token, unknownId, 'unsuspend')).statusCode).toBe(404);
    });

    it('can be applied by one admin to another, which ends that admin’s access', async () => {
      const other = await makeUser('admin', 'deputy');
      expect((await setStatus(admin.token, other.id, 'suspend')).statusCode).toBe(204);
      expect((await client.request('GET', '/api/v1/admin/security-events', { token: other.token })).statusCode).toBe(401);
      expect((await login(other)).statusCode).toBe(403);
    });
  });

  describe('security event log', () => {
    it('filters by type, actor and time', async () => {
      const second = await makeUser('admin', 'auditor');
      const member = await client.member(uniqueName('logged'));
      const start = Date.now() + 3600_000;
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(start);
      expect((await viewUser(admin.token, member.id, reason('early look at the account'))).statusCode).toBe(200);
      vi.setSystemTime(start + 3600_000);
      expect((await viewUser(second.token, member.id, reason('later look by the second admin'))).statusCode).toBe(200);
      expect((await setStatus(admin.token, member.id, 'suspend', reason('later suspension by the first admin'))).statusCode).toBe(204);
      expect((await setStatus(admin.token, member.id, 'unsuspend', reason('later unsuspension by the first admin'))).statusCode).toBe(204);

      type Event = { type: string; actorId: string | null; subjectId: string | null; occurredAt: string; reason: string | null };
      const events = async (query: string) => {
        const res = await client.request('GET', `/api/v1/admin/security-events?limit=100&${query}`, { token: admin.token });
        expect(res.statusCode, res.body).toBe(200);
        return (res.json().items as Event[]).filter((event) => event.subjectId === member.id);
      };
      const reasons = (items: Event[]) => items.map((event) => event.reason).sort();

      const viewed = await events('type=admin.user_viewed');
      expect(reasons(viewed)).toEqual(['early look at the account', 'later look by the second admin']);

      const byFirst = await events(`actorId=${admin.id}`);
      expect(byFirst.every((event) => event.actorId === admin.id)).toBe(true);
      expect(reasons(byFirst)).toEqual(['early look at the account', 'later suspension by the first admin', 'later unsuspension by the first admin']);

      const since = new Date(start + 1800_000).toISOString();
      const recent = await events(`since=${encodeURIComponent(since)}`);
      expect(recent.every((event) => event.occurredAt >= since)).toBe(true);
      expect(reasons(recent)).toEqual(['later look by the second admin', 'later suspension by the first admin', 'later unsuspension by the first admin']);

      const combined = await events(`type=admin.user_viewed&actorId=${second.id}&since=${encodeURIComponent(since)}`);
      expect(reasons(combined)).toEqual(['later look by the second admin']);

      // The member's own events are there too, under their id as actor.
      const own = await client.request('GET', `/api/v1/admin/security-events?actorId=${member.id}&type=login.succeeded`, { token: admin.token });
      expect(own.json().items.length).toBeGreaterThanOrEqual(1);
      expect(own.json().items.every((event: Event) => event.actorId === member.id && event.type === 'login.succeeded')).toBe(true);

      for (const bad of ['since=yesterday', 'actorId=42', 'limit=0', 'limit=101', 'colour=red']) {
        const res = await client.request('GET', `/api/v1/admin/security-events?${bad}`, { token: admin.token });
        expect(res.statusCode, bad).toBe(400);
      }
    });
  });
});
