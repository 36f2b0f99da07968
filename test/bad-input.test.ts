import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Member, createClient } from './support/http.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { leakPatterns } from './support/problems.js';

/** Every error is a clean problem document with a request id, and never a 500. */
function expectProblem(res: LightMyRequestResponse, status: number, code?: string): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code: expect.any(String) });
  if (code) expect(body.code).toBe(code);
  for (const pattern of leakPatterns) expect(res.body, `leaks ${pattern}`).not.toMatch(pattern);
  return body;
}

function paths(body: Record<string, unknown>): string[] {
  return ((body.errors ?? []) as { path: string }[]).map((error) => error.path);
}

describeEachDialect('bad input', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  let alice: Member;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    client = await createClient(db.data);
    alice = await client.member('alice');
  });

  afterAll(async () => {
    await client?.app.close();
    await db?.dispose();
  });

  /** A raw request, so bodies and headers can be as broken as a real client makes them. */
  const raw = (method: 'GET' | 'POST' | 'PATCH', url: string, options: { payload?: string | Buffer; contentType?: string; token?: string } = {}) =>
    client.app.inject({
      method,
      url,
      ...(options.payload !== undefined ? { payload: options.payload } : {}),
      headers: {
        ...(options.contentType ? { 'content-type': options.contentType } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    });

  describe('bodies', () => {
    it('rejects malformed JSON with 400 invalid_json', async () => {
      for (const payload of ['{"login": "alice", "password": ', '{login: alice}', 'nul', '{"a":1}}']) {
        expectProblem(await raw('POST', '/api/v1/auth/login', { payload, contentType: 'application/json' }), 400, 'invalid_json');
      }
    });

    it('rejects an empty body sent as JSON with 400', async () => {
      expectProblem(await raw('POST', '/api/v1/auth/login', { payload: '', contentType: 'application/json' }), 400);
      expectProblem(await raw('PATCH', '/api/v1/me', { payload: '', contentType: 'application/json', token: alice.token }), 400);
    });

    it('rejects JSON of the wrong type (array, string, number, null) with 400', async () => {
      for (const payload of ['[]', '[{"login":"alice","password":"x"}]', '"alice"', '42', 'null', 'true']) {
        expectProblem(await raw('POST', '/api/v1/auth/login', { payload, contentType: 'application/json' }), 400);
        expectProblem(await raw('PATCH', '/api/v1/me', { payload, contentType: 'application/json', token: alice.token }), 400);
      }
    });

    it('does not coerce body values: "70" is not a weight', async () => {
      const cases: Record<string, unknown>[] = [
        { weightKg: '70' },
        { heightCm: '180' },
        { displayName: 42 },
        { privacy: { searchable: 'false' } },
        { privacy: { searchable: 0 } },
        { privacy: 'public' },
        { bio: ['a'] },
      ];
      for (const body of cases) {
        const problem = expectProblem(await client.request('PATCH', '/api/v1/me', { token: alice.token, body }), 400, 'validation_failed');
        expect(paths(problem).length).toBeGreaterThan(0);
      }
    });

    it('names unknown and read-only properties in errors[].path', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ role: 'admin' }, '/role'],
        [{ id: '00000000-0000-4000-8000-000000000000' }, '/id'],
        [{ email: 'mallory@example.test' }, '/email'],
        [{ username: 'mallory' }, '/username'],
        [{ followerCount: 1000 }, '/followerCount'],
        [{ privacy: { profile: 'public', everyone: true } }, '/privacy/everyone'],
      ];
      for (const [body, path] of cases) {
        const problem = expectProblem(await client.request('PATCH', '/api/v1/me', { token: alice.token, body }), 400, 'validation_failed');
        expect(paths(problem)).toContain(path);
      }
      const register = await client.request('POST', '/api/v1/auth/register', {
        body: { username: 'mallory', email: 'mallory@example.test', password: 'another long passphrase 77', role: 'admin' },
      });
      expect(paths(expectProblem(register, 400, 'validation_failed'))).toContain('/role');
    });

    it('rejects prototype-pollution keys without a 500', async () => {
      for (const payload of ['{"__proto__": {"role": "admin"}}', '{"constructor": {"prototype": {"role": "admin"}}}']) {
        expectProblem(await raw('PATCH', '/api/v1/me', { payload, contentType: 'application/json', token: alice.token }), 400);
      }
      const me = await client.request('GET', '/api/v1/me', { token: alice.token });
      expect(me.json().role).toBe('member');
    });

    it('rejects over-long strings', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ bio: 'b'.repeat(501) }, '/bio'],
        [{ displayName: 'd'.repeat(51) }, '/displayName'],
        [{ displayName: '' }, '/displayName'],
        [{ location: 'l'.repeat(101) }, '/location'],
      ];
      for (const [body, path] of cases) {
        expect(paths(expectProblem(await client.request('PATCH', '/api/v1/me', { token: alice.token, body }), 400, 'validation_failed'))).toContain(path);
      }
      // The limits themselves are allowed.
      const atLimit = await client.request('PATCH', '/api/v1/me', { token: alice.token, body: { bio: 'b'.repeat(500), displayName: 'd'.repeat(50) } });
      expect(atLimit.statusCode, atLimit.body).toBe(200);
      const restored = await client.request('PATCH', '/api/v1/me', { token: alice.token, body: { bio: null, displayName: 'alice' } });
      expect(restored.statusCode).toBe(200);
    });

    it('refuses JSON nested deeper than 32 levels with 400, at any depth', async () => {
      const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
      for (const depth of [4_000, 30_000, 33]) {
        const objects = `{"bio":${'{"a":'.repeat(depth - 1)}0${'}'.repeat(depth)}`;
        // 30,000 levels of objects would be over the body limit; arrays fit.
        for (const payload of depth > 4_000 ? [nested(depth, '[', ']')] : [nested(depth, '[', ']'), objects]) {
          const patch = expectProblem(await raw('PATCH', '/api/v1/me', { payload, contentType: 'application/json', token: alice.token }), 400, 'validation_failed');
          expect((patch.errors as { message: string }[])[0]!.message).toBe('must not be nested more than 32 levels deep');
          expectProblem(await raw('POST', '/api/v1/auth/login', { payload, contentType: 'application/json' }), 400, 'validation_failed');
        }
      }
      // Within the bound, the schema decides as usual.
      const shallow = expectProblem(await raw('PATCH', '/api/v1/me', { payload: nested(32, '[', ']'), contentType: 'application/json', token: alice.token }), 400);
      expect((shallow.errors as { message: string }[])[0]!.message).not.toMatch(/nested/);
    });

    it('answers 413 for a body over 64 KiB', async () => {
      const big = JSON.stringify({ login: 'alice', password: 'p'.repeat(65 * 1024) });
      expectProblem(await raw('POST', '/api/v1/auth/login', { payload: big, contentType: 'application/json' }), 413, 'payload_too_large');
      const bigPatch = JSON.stringify({ bio: 'b'.repeat(70 * 1024) });
      expectProblem(await raw('PATCH', '/api/v1/me', { payload: bigPatch, contentType: 'application/json', token: alice.token }), 413, 'payload_too_large');
    });

    it('answers 415 for a body that is not JSON', async () => {
      const form = 'login=alice&password=secret';
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html']) {
        expectProblem(await raw('POST', '/api/v1/auth/login', { payload: form, contentType }), 415, 'unsupported_media_type');
      }
      expectProblem(await raw('PATCH', '/api/v1/me', { payload: 'bio=hi', contentType: 'text/plain', token: alice.token }), 415, 'unsupported_media_type');
    });

    it('never answers 500 for text PostgreSQL cannot store (NUL characters)', async () => {
      // Valid JSON and valid by schema, but PostgreSQL text refuses U+0000: each must be a 4xx (or stored), never a 500.
      const statuses = {
        login: (await client.request('POST', '/api/v1/auth/login', { body: { login: 'ali\u0000ce', password: 'whatever it is' } })).statusCode,
        patchBio: (await client.request('PATCH', '/api/v1/me', { token: alice.token, body: { bio: 'line\u0000break' } })).statusCode,
        search: (await client.request('GET', '/api/v1/users?q=al%00', { token: alice.token })).statusCode,
        register: (
          await client.request('POST', '/api/v1/auth/register', {
            body: { username: 'nul_user', email: 'nul_user@example.test', password: 'another long passphrase 77', displayName: 'Nul\u0000' },
          })
        ).statusCode,
      };
      await client.request('PATCH', '/api/v1/me', { token: alice.token, body: { bio: null } });
      const failures = Object.entries(statuses).filter(([, status]) => status >= 500);
      expect(failures, `answered 500: ${failures.map(([name]) => name).join(', ')}`).toEqual([]);
    });
  });

  describe('paths and queries', () => {
    it('rejects a body or query parameters sent to an operation that takes none', async () => {
      const stranger = await client.member('bodyless_target');
      const follow = await client.request('POST', `/api/v1/users/${stranger.id}/follow`, { token: alice.token, body: { state: 'approved' } });
      expect(paths(expectProblem(follow, 400, 'validation_failed'))).toEqual(['/']);
      const me = await client.request('GET', '/api/v1/me?include=email', { token: alice.token });
      expect(paths(expectProblem(me, 400, 'validation_failed'))).toEqual(['/query/include']);
      // Nothing happened: the follow was refused before it ran.
      expect((await client.request('GET', '/api/v1/me/follow-requests', { token: stranger.token })).json().items).toEqual([]);
      // An empty object, as many clients send with every POST, is not a body.
      expect((await client.request('POST', `/api/v1/users/${stranger.id}/follow`, { token: alice.token, body: {} })).statusCode).toBe(200);
    });

    it('rejects malformed IDs in paths with 400', async () => {
      for (const id of ['123', '..%2Fetc', '%2E%2E%2Fetc%2Fpasswd', 'not-a-uuid', "1'%20OR%20'1'%3D'1", '00000000-0000-0000-0000-00000000000g']) {
        const res = await client.request('GET', `/api/v1/users/${id}`, { token: alice.token });
        expect(paths(expectProblem(res, 400, 'validation_failed'))).toContain('/path/userId');
      }
      expectProblem(await client.request('DELETE', '/api/v1/me/sessions/123', { token: alice.token }), 400);
      expectProblem(await client.request('POST', '/api/v1/users/123/follow', { token: alice.token }), 400);
      expectProblem(await client.request('GET', '/api/v1/users/by-username/..%2Fetc', { token: alice.token }), 400);
    });

    it('rejects bad limit and cursor values with 400', async () => {
      const urls = [
        '/api/v1/me/blocks?limit=0',
        '/api/v1/me/blocks?limit=101',
        '/api/v1/me/blocks?limit=abc',
        '/api/v1/me/blocks?limit=1.5',
        '/api/v1/me/blocks?limit=-1',
        '/api/v1/me/blocks?cursor=%27%3B%20drop%20table%20users',
        '/api/v1/me/blocks?cursor=',
        '/api/v1/me/blocks?cursor=' + 'A'.repeat(400),
        '/api/v1/me/blocks?unknown=1',
        '/api/v1/users?q=a',
        '/api/v1/users?q=al&limit=0',
        '/api/v1/users?q=al&cursor=!!!',
        '/api/v1/me/sessions?limit=1000',
      ];
      for (const url of urls) {
        const problem = expectProblem(await client.request('GET', url, { token: alice.token }), 400, 'validation_failed');
        expect(paths(problem).every((path) => path.startsWith('/query') || path === '/cursor'), url).toBe(true);
      }
    });

    it('rejects cursors that are well-formed text but were never issued, without a 500', async () => {
      // "x" is not base64url of anything; "AA" decodes to a NUL, which PostgreSQL cannot compare.
      const answers: [string, number][] = [];
      for (const cursor of ['x', 'AA', 'AQ', '_-_-', 'zzzz']) {
        const res = await client.request('GET', `/api/v1/me/blocks?cursor=${cursor}`, { token: alice.token });
        if (res.statusCode !== 200) answers.push([cursor, res.statusCode]);
        if (res.statusCode < 500 && res.statusCode !== 200) expectProblem(res, 400);
      }
      const failures = answers.filter(([, status]) => status >= 500);
      expect(failures, `cursors answered 500: ${failures.map(([cursor]) => cursor).join(', ')}`).toEqual([]);
    });
  });

  describe('field messages', () => {
    /** The validator's own phrasing; none of it may reach a client. */
    const validatorWording = /must NOT have|must be equal to|must match|must have required|must be (string|number|integer|boolean|object|array|null)\b|should|schema|anyOf|oneOf/;

    it("gives one message per wrong field, in Paceline's words, naming what the field accepts", async () => {
      const coach = await client.member('message_coach', { role: 'instructor' });
      const admin = await client.member('message_admin', { role: 'admin' });
      const workout = await client.request('POST', '/api/v1/workouts', { token: alice.token, body: { discipline: 'yoga', title: 'Calm', startedAt: '2024-01-01T07:00:00Z', durationSeconds: 600 } });
      const workoutId = workout.json().id as string;
      const newWorkout = { discipline: 'cycling', title: 'Ride', startedAt: '2024-01-01T07:00:00Z', durationSeconds: 600 };
      const newClass = { title: 'Climb', discipline: 'cycling', durationSeconds: 600, difficulty: 3, airedAt: '2024-01-01T07:00:00Z' };
      const cases: [string, string, { token?: string; body?: unknown; headers?: Record<string, string> }, [string, string][]][] = [
        ['PATCH', '/api/v1/me', { token: alice.token, body: { privacy: { defaultWorkoutVisibility: 'everyone' } } }, [['/privacy/defaultWorkoutVisibility', 'must be one of: public, followers, only_me']]],
        ['PATCH', '/api/v1/me', { token: alice.token, body: { bio: 5, location: 'l'.repeat(101) } }, [['/bio', 'must be a string or null'], ['/location', 'must be at most 100 characters long']]],
        ['PATCH', '/api/v1/me', { token: alice.token, body: { gender: 'robot' } }, [['/gender', 'must be one of: female, male, non_binary, other, prefer_not_to_say, or null']]],
        ['PATCH', '/api/v1/me', { token: alice.token, body: { weightKg: 1000, heightCm: 'tall' } }, [['/weightKg', 'must be a number from 20 to 400'], ['/heightCm', 'must be a number from 50 to 280 or null']]],
        ['PATCH', '/api/v1/me', { token: alice.token, body: { birthday: '1990-02-30', displayName: '', privacy: { searchable: 'no' } } }, [['/displayName', 'must be 1 to 50 characters long'], ['/birthday', 'must be a date in ISO 8601 (YYYY-MM-DD)'], ['/privacy/searchable', 'must be true or false']]],
        ['POST', '/api/v1/auth/register', { body: { username: 5, email: 'nobody@example.test', password: 'another long passphrase 77' } }, [['/username', 'must be a string, 3 to 30 characters long, containing only lower-case letters, digits and underscores']]],
        ['POST', '/api/v1/auth/register', { body: { username: 'No!', email: 'nobody', password: 'short' } }, [['/username', 'must be 3 to 30 characters long and contain only lower-case letters, digits and underscores'], ['/email', 'must be an email address'], ['/password', 'must be 12 to 128 characters long']]],
        ['POST', '/api/v1/workouts', { token: alice.token, body: { ...newWorkout, startedAt: '2016-12-31T23:59:60Z', durationSeconds: 0, classId: 'x', discipline: 'swimming' } }, [['/classId', 'must be a UUID'], ['/discipline', 'must be one of: cycling, running, rowing, strength, yoga, walking, meditation'], ['/startedAt', 'must be a date-time in ISO 8601 (UTC)'], ['/durationSeconds', 'must be an integer from 1 to 86400']]],
        ['PATCH', `/api/v1/workouts/${workoutId}`, { token: alice.token, body: {} }, [['/', 'must have at least 1 property']]],
        ['POST', '/api/v1/classes', { token: coach.token, body: { ...newClass, difficulty: 11, title: ['Climb'] } }, [['/title', 'must be a string, 1 to 100 characters long'], ['/difficulty', 'must be an integer from 1 to 10']]],
        ['POST', '/api/v1/me/tokens', { token: alice.token, body: { name: 'ci', scopes: [] } }, [['/scopes', 'must have 1 to 5 items']]],
        ['POST', '/api/v1/me/tokens', { token: alice.token, body: { name: 'ci', scopes: ['root', 'profile:read', 'profile:read'], expiresInDays: 400 } }, [['/scopes/0', 'must be one of: profile:read, profile:write, workouts:read, workouts:write, social:write'], ['/scopes', 'must not repeat an item'], ['/expiresInDays', 'must be an integer from 1 to 365']]],
        ['GET', '/api/v1/me/blocks?limit=0&cursor=!!!', { token: alice.token }, [['/query/limit', 'must be an integer from 1 to 100'], ['/query/cursor', 'must contain only letters, digits, underscores and hyphens']]],
        ['GET', '/api/v1/classes?discipline=swimming&sort=asc', {}, [['/query/sort', 'is not an allowed parameter'], ['/query/discipline', 'must be one of: cycling, running, rowing, strength, yoga, walking, meditation']]],
        ['GET', '/api/v1/users/123', { token: alice.token }, [['/path/userId', 'must be a UUID']]],
        ['GET', `/api/v1/admin/users/${alice.id}`, { token: admin.token, headers: { 'x-access-reason': 'short' } }, [['/headers/x-access-reason', 'must be 10 to 500 characters long']]],
        ['GET', `/api/v1/admin/users/${alice.id}`, { token: admin.token }, [['/headers/x-access-reason', 'is required']]],
      ];
      for (const [method, url, options, expected] of cases) {
        const problem = expectProblem(await client.request(method, url, options), 400, 'validation_failed');
        const errors = problem.errors as { path: string; message: string }[];
        for (const error of errors) expect(error.message, `${method} ${url}`).not.toMatch(validatorWording);
        expect(errors.map((error) => [error.path, error.message]), `${method} ${url}`).toEqual(expected);
      }
    });
  });

  describe('timestamps', () => {
    it('refuses a leap second (valid RFC 3339, not a Date) with 400 wherever a date-time is taken', async () => {
      const coach = await client.member('leap_coach', { role: 'instructor' });
      const admin = await client.member('leap_admin', { role: 'admin' });
      for (const leap of ['2016-12-31T23:59:60Z', '2016-12-31T22:59:60-01:00']) {
        const workout = await client.request('POST', '/api/v1/workouts', { token: alice.token, body: { discipline: 'cycling', title: 'Leap', startedAt: leap, durationSeconds: 60 } });
        expect(paths(expectProblem(workout, 400, 'validation_failed'))).toEqual(['/startedAt']);
        const fitnessClass = await client.request('POST', '/api/v1/classes', { token: coach.token, body: { title: 'Leap', discipline: 'cycling', durationSeconds: 600, difficulty: 3, airedAt: leap } });
        expect(paths(expectProblem(fitnessClass, 400, 'validation_failed'))).toEqual(['/airedAt']);
        const events = await client.request('GET', `/api/v1/admin/security-events?since=${encodeURIComponent(leap)}`, { token: admin.token });
        expect(paths(expectProblem(events, 400, 'validation_failed'))).toEqual(['/query/since']);
      }
      const ordinary = await client.request('GET', '/api/v1/admin/security-events?since=2016-12-31T23:59:59Z', { token: admin.token });
      expect(ordinary.statusCode).toBe(200);
    });
  });

  describe('no partial writes', () => {
    it('leaves the account untouched when one field of a PATCH is invalid', async () => {
      const before = (await client.request('GET', '/api/v1/me', { token: alice.token })).json();
      const mixes: Record<string, unknown>[] = [
        { displayName: 'Changed', bio: 'changed', privacy: { profile: 'public' }, weightKg: 'heavy' },
        { displayName: 'Changed', location: 'Somewhere', role: 'admin' },
        { bio: 'changed', weightKg: 70, heightCm: 10_000 },
        { privacy: { searchable: false, leaderboard: 'hidden', profile: 'secret' } },
        { gender: 'female', birthday: '1990-02-30' },
      ];
      for (const body of mixes) {
        expectProblem(await client.request('PATCH', '/api/v1/me', { token: alice.token, body }), 400, 'validation_failed');
      }
      const after = (await client.request('GET', '/api/v1/me', { token: alice.token })).json();
      expect(after).toEqual(before);
    });
  });

  it('puts a request id on success, on errors and on unknown URLs', async () => {
    const responses = [
      await client.request('GET', '/api/v1/me', { token: alice.token }),
      await client.request('GET', '/healthz'),
      await client.request('GET', '/api/v1/me'),
      await client.request('GET', '/api/v1/no-such-thing'),
      await client.request('GET', '/api/v1/me', { token: 'garbage' }),
    ];
    const ids = responses.map((res) => res.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expectProblem(responses[2]!, 401, 'unauthorized');
    expectProblem(responses[3]!, 404, 'not_found');
    expectProblem(responses[4]!, 401, 'unauthorized');
  });
});
