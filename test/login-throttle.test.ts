import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { accountPolicy, addressPolicy, createRateLimiter, createThrottle } from '../src/auth/login-throttle.js';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { type Client, createClient } from './support/http.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${++counter}`;
const wrongPassword = 'definitely not the password';

/** Retry-After as a number, after checking it is a positive whole number of seconds. */
function retryAfter(res: LightMyRequestResponse): number {
  expect(res.statusCode, res.body).toBe(429);
  const header = res.headers['retry-after'];
  expect(header).toMatch(/^[1-9][0-9]*$/);
  expect(res.json().code).toBe('rate_limited');
  return Number(header);
}

describe('login throttle (unit)', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('refuses the attempt that follows the allowed failures', () => {
    const throttle = createThrottle(accountPolicy, clock);
    for (let i = 0; i < accountPolicy.freeFailures - 1; i++) throttle.count('k');
    expect(throttle.waitMs('k')).toBe(0);
    throttle.count('k');
    // freeFailures is documented as "failures allowed before waits begin (the next attempt is refused)".
    expect(throttle.waitMs('k')).toBeGreaterThan(0);
  });

  it('doubles the wait with each further failure, up to the cap, and never locks for good', () => {
    const throttle = createThrottle(accountPolicy, clock);
    let failures = 0;
    while (throttle.waitMs('k') === 0 && failures < 20) {
      throttle.count('k');
      failures += 1;
    }
    let wait = throttle.waitMs('k');
    expect(wait).toBe(accountPolicy.firstWaitMs);
    for (let i = 0; i < 20; i++) {
      now += wait;
      expect(throttle.waitMs('k')).toBe(0);
      throttle.count('k');
      const next = throttle.waitMs('k');
      expect(next).toBe(Math.min(wait * 2, accountPolicy.maxWaitMs));
      wait = next;
    }
    expect(wait).toBe(accountPolicy.maxWaitMs);
    now += wait;
    expect(throttle.waitMs('k')).toBe(0);
  });

  it('forgets failures after a quiet window, and on reset', () => {
    const throttle = createThrottle(accountPolicy, clock);
    const almost = accountPolicy.freeFailures - 1;
    for (let i = 0; i < almost; i++) throttle.count('quiet');
    now += accountPolicy.windowMs + 1;
    for (let i = 0; i < almost; i++) throttle.count('quiet');
    expect(throttle.waitMs('quiet')).toBe(0);

    for (let i = 0; i < almost; i++) throttle.count('reset');
    throttle.reset('reset');
    for (let i = 0; i < almost; i++) throttle.count('reset');
    expect(throttle.waitMs('reset')).toBe(0);

    // Failures within the window do add up.
    for (let i = 0; i < 2 * almost; i++) throttle.count('busy');
    expect(throttle.waitMs('busy')).toBeGreaterThan(0);
  });

  it('keeps keys apart', () => {
    const throttle = createThrottle(accountPolicy, clock);
    for (let i = 0; i < 10; i++) throttle.count('a');
    expect(throttle.waitMs('a')).toBeGreaterThan(0);
    expect(throttle.waitMs('b')).toBe(0);
  });

  it('counts an attempt when it is let through, before it is judged, and gives it back on success', () => {
    const throttle = createThrottle(accountPolicy, clock);
    // Five attempts let through at once and none judged yet: the sixth is refused already.
    for (let i = 0; i < accountPolicy.freeFailures; i++) {
      expect(throttle.waitMs('k')).toBe(0);
      throttle.count('k');
    }
    expect(throttle.waitMs('k')).toBeGreaterThan(0);
    throttle.release('k');
    expect(throttle.waitMs('k')).toBe(0);
  });

  it('never forgets a waiting key to make room, and fails closed when every key is waiting', () => {
    const throttle = createThrottle(accountPolicy, clock, 100);
    for (let i = 0; i < accountPolicy.freeFailures; i++) throttle.count('victim');
    const wait = throttle.waitMs('victim');
    expect(wait).toBeGreaterThan(0);
    // A flood of fresh names, each failing once, a hundred times the capacity.
    for (let i = 0; i < 10_000; i++) {
      const key = `flood${i}`;
      if (throttle.waitMs(key) === 0) throttle.count(key);
    }
    expect(throttle.waitMs('victim')).toBe(wait);

    const full = createThrottle(accountPolicy, clock, 10);
    for (let k = 0; k < 10; k++) for (let i = 0; i < accountPolicy.freeFailures; i++) full.count(`waiting${k}`);
    // Every key is waiting: a new name is refused for now, not remembered past the bound...
    expect(full.waitMs('newcomer')).toBeGreaterThan(0);
    for (let k = 0; k < 10; k++) expect(full.waitMs(`waiting${k}`)).toBeGreaterThan(0);
    // ...until the waits are over and their keys may be forgotten.
    now += accountPolicy.firstWaitMs;
    expect(full.waitMs('newcomer')).toBe(0);
  });

  it('gives client addresses more room than accounts', () => {
    expect(addressPolicy.freeFailures).toBe(49);
    expect(accountPolicy.freeFailures).toBe(5);
    expect(accountPolicy.windowMs).toBe(15 * 60_000);
  });

  it('limits registrations per window', () => {
    const limiter = createRateLimiter(3, 3600_000, clock);
    const start = now;
    expect([limiter.hit('ip'), limiter.hit('ip'), limiter.hit('ip')]).toEqual([0, 0, 0]);
    now += 60_000;
    expect(limiter.hit('ip')).toBe(start + 3600_000 - now);
    expect(limiter.hit('other')).toBe(0);
    now = start + 3600_000;
    expect(limiter.hit('ip')).toBe(0);
  });
});

describeEachDialect('login throttle', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  let start: number;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
  });

  afterAll(async () => {
    if (db) await db.dispose();
  });

  // Each test gets a fresh app, so throttle counts never carry over, and a frozen clock it moves itself.
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    start = Date.now();
    vi.setSystemTime(start);
    client = await createClient(db.data);
  });

  afterEach(async () => {
    vi.useRealTimers();
    await client?.app.close();
  });

  const loginFrom = (app: App, login: string, password: string, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password }, remoteAddress });
  const login = (name: string, password: string) => loginFrom(client.app, name, password);
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

  it('answers 429 from the 6th consecutive failure on one account', async () => {
    const member = await client.member(uniqueName('target'));
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(member.username, wrongPassword)).statusCode, `attempt ${attempt}`).toBe(401);
    }
    retryAfter(await login(member.username, wrongPassword));
  });

  it('throttles password re-checks of a signed-in member like logins (a stolen session cannot guess fast)', async () => {
    const member = await client.member(uniqueName('rechecked'));
    const change = () =>
      client.request('POST', '/api/v1/me/password', { token: member.token, body: { currentPassword: wrongPassword, newPassword: 'an entirely new passphrase 7' } });
    for (let attempt = 1; attempt <= 5; attempt++) expect((await change()).statusCode, `attempt ${attempt}`).toBe(400);
    retryAfter(await change());
    // The same count guards logins and account deletion.
    retryAfter(await login(member.username, member.password));
    retryAfter(await client.request('DELETE', '/api/v1/me', { token: member.token, body: { password: member.password } }));
  });

  it('grows the wait, refuses even the right password during it, and resets on success', async () => {
    const member = await client.member(uniqueName('guarded'));
    let res = await login(member.username, wrongPassword);
    let attempts = 1;
    while (res.statusCode === 401 && attempts < 10) {
      res = await login(member.username, wrongPassword);
      attempts += 1;
    }
    let wait = retryAfter(res);
    expect(attempts).toBeLessThanOrEqual(7);

    const rightDuringWait = await login(member.username, member.password);
    expect(retryAfter(rightDuringWait)).toBeLessThanOrEqual(wait);
    expect(rightDuringWait.body).not.toContain('token');

    for (let round = 0; round < 4; round++) {
      advance(wait * 1000 + 1);
      // One guess is allowed after each wait; it fails, and the next wait is longer.
      expect([401, 429]).toContain((await login(member.username, wrongPassword)).statusCode);
      const next = retryAfter(await login(member.username, wrongPassword));
      expect(next, `round ${round}`).toBeGreaterThan(wait);
      wait = next;
    }
    // Still bounded: nothing locks an account for good.
    expect(wait).toBeLessThanOrEqual(15 * 60);

    advance(wait * 1000 + 1);
    const right = await login(member.username, member.password);
    expect(right.statusCode, right.body).toBe(200);
    // The success wiped the count: five fresh failures are ordinary 401s again.
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(member.username, wrongPassword)).statusCode, `after reset ${attempt}`).toBe(401);
    }
  });

  it('throttles a username and its e-mail apart, so the throttle cannot link them', async () => {
    const member = await client.member(uniqueName('twoways'));
    for (let i = 0; i < 5; i++) expect((await login(member.username, wrongPassword)).statusCode).toBe(401);
    retryAfter(await login(member.username, wrongPassword));
    // Were they one bucket, the real e-mail would now answer 429 and any other e-mail 401.
    const real = await login(member.email.toUpperCase(), wrongPassword);
    const other = await login(`${uniqueName('nobody')}@example.test`, wrongPassword);
    expect(real.statusCode, real.body).toBe(401);
    expect(other.statusCode, other.body).toBe(401);
    expect(real.headers['retry-after']).toBeUndefined();
    expect(real.json()).toEqual(other.json());
  });

  it('throttles unknown logins exactly like accounts', async () => {
    const member = await client.member(uniqueName('exists'));
    const ghost = uniqueName('ghost');
    const sequence = async (app: App, name: (i: number) => string) => {
      const seen: { status: number; retryAfter: string | undefined; body: unknown }[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await loginFrom(app, name(i), wrongPassword);
        const { type, title, status, detail, code } = res.json();
        seen.push({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, body: { type, title, status, detail, code } });
      }
      return seen;
    };
    const known = await sequence(client.app, () => member.username);
    // A second app, so the client-address count starts from the same place.
    const other = await createClient(db.data);
    try {
      // Case and surrounding spaces do not make a fresh name.
      const unknown = await sequence(other.app, (i) => (i % 2 === 0 ? ghost : ` ${ghost.toUpperCase()} `));
      expect(unknown).toEqual(known);
      expect(known.map((step) => step.status)).toContain(429);
    } finally {
      await other.app.close();
    }
  });

  it('judges at most the limit of a concurrent burst: 39 wrong guesses and the right one sent at once get no session', async () => {
    const member = await client.member(uniqueName('burst'));
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(member.username, i === 39 ? member.password : wrongPassword)));
    const judged = answers.filter((res) => res.statusCode !== 429);
    expect(judged.length).toBeLessThanOrEqual(5);
    expect(judged.every((res) => res.statusCode === 401)).toBe(true);
    expect(answers.some((res) => res.body.includes('pls_'))).toBe(false);
    answers.filter((res) => res.statusCode === 429).forEach(retryAfter);
  });

  it('judges at most 49 of 100 concurrent wrong guesses from one address', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => login(uniqueName('nobody'), wrongPassword)));
    const judged = answers.filter((res) => res.statusCode !== 429);
    expect(judged.length).toBeLessThanOrEqual(49);
    expect(judged.every((res) => res.statusCode === 401)).toBe(true);
  });

  it('judges at most 5 of 40 concurrent wrong password re-checks', async () => {
    const member = await client.member(uniqueName('rechecks'));
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        client.request('POST', '/api/v1/me/password', { token: member.token, body: { currentPassword: wrongPassword, newPassword: 'an entirely new passphrase 7' } }),
      ),
    );
    const judged = answers.filter((res) => res.statusCode !== 429);
    expect(judged.length).toBeLessThanOrEqual(5);
    expect(judged.every((res) => res.statusCode === 400)).toBe(true);
    expect(answers.filter((res) => res.statusCode === 429).length).toBeGreaterThanOrEqual(35);
  });

  it('forgets failures after 15 quiet minutes', async () => {
    const member = await client.member(uniqueName('patient'));
    for (let attempt = 1; attempt <= 5; attempt++) expect((await login(member.username, wrongPassword)).statusCode).toBe(401);
    advance(16 * 60_000);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(member.username, wrongPassword)).statusCode, `after the window ${attempt}`).toBe(401);
    }
  });

  it('answers 429 from the 50th failure from one client address, whatever the accounts', async () => {
    const members = [await client.member(uniqueName('spread')), await client.member(uniqueName('spread')), await client.member(uniqueName('spread'))];
    const bystander = await client.member(uniqueName('bystander'));
    const statuses: number[] = [];
    // Never more than three failures per account, so only the address count can trip.
    for (let i = 0; i < 51; i++) {
      const name = i < 9 ? members[i % 3]!.username : uniqueName('nobody');
      statuses.push((await login(name, wrongPassword)).statusCode);
    }
    expect(statuses.slice(0, 49).every((status) => status === 401)).toBe(true);
    expect(statuses[50]).toBe(429);

    // The address is throttled for everyone behind it, even with the right password...
    retryAfter(await login(bystander.username, bystander.password));
    // ...but not other addresses.
    const elsewhere = await loginFrom(client.app, bystander.username, bystander.password, '198.51.100.7');
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);

    // The exact threshold: the 50th attempt is the first refused.
    expect(statuses.indexOf(429) + 1).toBe(50);
  });

  it('limits registrations per client address', async () => {
    const app = await buildApp({ data: db.data, auth: { registrationsPerHour: 3 } });
    const register = (remoteAddress: string) => {
      const username = uniqueName('signup');
      return app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { username, email: `${username}@example.test`, password: 'a long and unusual passphrase 42' },
        remoteAddress,
      });
    };
    try {
      for (let i = 0; i < 3; i++) expect((await register('203.0.113.5')).statusCode).toBe(201);
      const refused = await register('203.0.113.5');
      expect(retryAfter(refused)).toBeLessThanOrEqual(3600);
      expect(refused.body).not.toContain('signup');
      expect((await register('203.0.113.6')).statusCode).toBe(201);
      advance(3600_000);
      expect((await register('203.0.113.5')).statusCode).toBe(201);
    } finally {
      await app.close();
    }
  });
});
