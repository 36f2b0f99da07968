import { describe, expect, it } from 'vitest';
import { loadIdentities } from '../src/audit/identities.js';
import type { AuditReport } from '../src/audit/report-model.js';
import { runAudit } from '../src/audit/run-audit.js';
import { loadSpec } from '../src/audit/spec.js';
import { startBflaApi } from './support/vulnerable-apis/bfla.js';
import { startBolaBodyApi } from './support/vulnerable-apis/bola-body.js';
import { startBolaReadApi } from './support/vulnerable-apis/bola-read.js';
import { startBolaWriteApi } from './support/vulnerable-apis/bola-write.js';
import { type VulnerableApi, canaries, writeIdentities } from './support/vulnerable-apis/common.js';
import { startDataExposureApi } from './support/vulnerable-apis/data-exposure.js';
import { startDeny200Api } from './support/vulnerable-apis/deny-200.js';
import { startLoginRaceApi } from './support/vulnerable-apis/login-race.js';
import { startLoginThrottlingApi } from './support/vulnerable-apis/login-throttling.js';
import { startMassAssignmentApi } from './support/vulnerable-apis/mass-assignment.js';
import { startNoAuthApi } from './support/vulnerable-apis/no-auth.js';
import { startNoop204Api } from './support/vulnerable-apis/noop-204.js';
import { startBolaQueryApi } from './support/vulnerable-apis/bola-query.js';
import { startBolaLinksApi } from './support/vulnerable-apis/bola-links.js';
import { startLikesApi } from './support/vulnerable-apis/likes.js';
import { startPublicProfileApi } from './support/vulnerable-apis/public-profile.js';
import { type BookShelfApi, startBookShelfApi } from './support/vulnerable-apis/book-shelf.js';
import { startSignUpApi } from './support/vulnerable-apis/sign-up.js';

/**
 * One small deliberately vulnerable Fastify app per class of flaw, each sound in every other
 * respect, plus two sound apps that say no in unusual ways (200 with an error body, an empty 204
 * that changes nothing). The auditor must find each flaw and report nothing else.
 */

interface Mode {
  allowWrites?: boolean;
  allowDestructive?: boolean;
  exclude?: string[];
  concurrency?: number;
}

const writes: Mode = { allowWrites: true };
const destructive: Mode = { allowWrites: true, allowDestructive: true };

async function audit(api: VulnerableApi, mode: Mode = {}): Promise<AuditReport> {
  const spec = await loadSpec(`${api.target}/openapi.json`);
  const identities = await loadIdentities(await writeIdentities(api.identities), {});
  return runAudit({ spec, target: api.target, identities, ...mode });
}

/** What was found, as unique sorted `check METHOD /path` lines. */
function found(report: AuditReport): string[] {
  return [...new Set(report.findings.map((f) => `${f.check} ${f.operation.method} ${f.operation.path}`))].sort();
}

/** The findings and the coverage of every operation, shown when an assertion fails. */
function explain(report: AuditReport): string {
  const findings = report.findings.map((f) => `  ${f.check} ${f.operation.method} ${f.operation.path} owner=${f.owner ?? '-'} caller=${f.caller}: ${f.evidence}`);
  const coverage = report.coverage.map(
    (row) => `  ${row.operation.method} ${row.operation.path}: ${Object.entries(row.checks).map(([check, value]) => `${check}=${value}`).join(', ')}`,
  );
  return ['findings:', ...(findings.length > 0 ? findings : ['  (none)']), 'coverage:', ...coverage].join('\n');
}

/** Runs the audit against a freshly started app and checks the exact set of findings. */
async function expectFindings(start: () => Promise<VulnerableApi>, mode: Mode, expected: string[]): Promise<AuditReport> {
  const api = await start();
  try {
    const report = await audit(api, mode);
    expect(found(report), explain(report)).toEqual([...expected].sort());
    const text = JSON.stringify(report.findings);
    for (const finding of report.findings) {
      expect(finding.evidence, explain(report)).not.toBe('');
      expect(finding.curl).toMatch(/^curl /);
    }
    // Credentials never, and private values only as a short prefix.
    for (const secret of api.secrets()) expect(text).not.toContain(secret);
    for (const canary of Object.values(canaries)) expect(text).not.toContain(canary);
    return report;
  } finally {
    await api.close();
  }
}

describe('auditing deliberately vulnerable APIs: each flaw found, nothing else reported', () => {
  it('no-auth: a secured list that accepts any bearer token', async () => {
    const report = await expectFindings(startNoAuthApi, {}, ['no-auth GET /classes']);
    const finding = report.findings.find((f) => f.check === 'no-auth');
    expect(finding?.caller).toBe('anonymous');
    expect(finding?.curl).not.toMatch(/Bearer (?!<)/);
  }, 15_000);

  it('bola: GET /notes/{noteId} serves any member\'s note', async () => {
    const report = await expectFindings(startBolaReadApi, {}, ['bola GET /notes/{noteId}']);
    const pairs = report.findings.filter((f) => f.check === 'bola').map((f) => `${f.owner}->${f.caller}`);
    expect(new Set(pairs)).toEqual(new Set(['alice->bob', 'bob->alice']));
    expect(report.findings.every((f) => f.curl.includes('<alice>') || f.curl.includes('<bob>'))).toBe(true);
    expect(report.matrix.find((r) => r.operation.method === 'GET' && r.operation.path === '/notes/{noteId}')?.cells.bob).toBe('leaked');
  }, 20_000);

  it('bola: PATCH and DELETE /notes/{noteId} change anyone\'s note (204, seen on read-back)', async () => {
    const report = await expectFindings(startBolaWriteApi, destructive, ['bola DELETE /notes/{noteId}', 'bola PATCH /notes/{noteId}']);
    expect(report.findings.filter((f) => f.check === 'bola').every((f) => f.owner !== undefined && f.owner !== f.caller)).toBe(true);
  }, 20_000);

  it('bola: POST /exports returns the notes named by noteIds whoever owns them', async () => {
    const report = await expectFindings(startBolaBodyApi, writes, ['bola POST /exports']);
    expect(report.findings.every((f) => f.owner !== f.caller)).toBe(true);
  }, 20_000);

  it('bfla: members list users and suspend anyone through /admin', async () => {
    const report = await expectFindings(startBflaApi, writes, ['bfla GET /admin/users', 'bfla POST /admin/users/{userId}/suspend']);
    expect(report.findings.every((f) => f.caller === 'alice' || f.caller === 'bob')).toBe(true);
  }, 20_000);

  it('data-exposure: the leaderboard carries every member\'s email', async () => {
    const report = await expectFindings(startDataExposureApi, {}, ['data-exposure GET /leaderboard']);
    const pairs = new Set(report.findings.map((f) => `${f.owner}->${f.caller}`));
    expect(pairs.has('alice->bob') && pairs.has('bob->alice')).toBe(true);
  }, 15_000);

  it('mass-assignment: PATCH /me merges role and anything else', async () => {
    const report = await expectFindings(startMassAssignmentApi, writes, ['mass-assignment PATCH /me']);
    expect(report.findings.find((f) => f.check === 'mass-assignment')?.evidence).toMatch(/role|admin/i);
  }, 20_000);

  it('mass-assignment at sign-up: POST /users/v1/register stores admin, seen when signed in as the new account', async () => {
    const report = await expectFindings(() => startSignUpApi('FLAW-stores-everything'), writes, ['mass-assignment POST /users/v1/register']);
    expect(report.findings[0]?.evidence).toMatch(/read back as the new account: .*admin=true/);
  }, 20_000);

  it('a sound sign-up that ignores unknown properties reports nothing, and says it tested', async () => {
    const report = await expectFindings(() => startSignUpApi('sound'), writes, []);
    expect(report.coverage.find((r) => r.operation.path === '/users/v1/register')?.checks['mass-assignment']).toBe('tested');
  }, 20_000);

  it('a third-party-style API with an incomplete spec: every flaw found, nothing else, and no reset without --allow-destructive', async () => {
    let shelf: BookShelfApi | undefined;
    const start = async () => (shelf = await startBookShelfApi());
    const report = await expectFindings(start, writes, [
      'bola GET /books/v1/{book_title}',
      'data-exposure GET /users/v1/_debug',
      'login-throttling POST /users/v1/login',
      'mass-assignment POST /users/v1/register',
    ]);
    expect(shelf?.resets()).toBe(0);
    expect(report.coverage.find((r) => r.operation.path === '/createdb')?.checks['data-exposure']).toBe('skipped: needs --allow-destructive');
  }, 30_000);

  it('the same API with --allow-destructive (reset excluded): a password change takes another member\'s account, and is put back', async () => {
    const shelf = await startBookShelfApi();
    try {
      const spec = await loadSpec(`${shelf.target}/openapi.json`);
      const identities = await loadIdentities(await writeIdentities(shelf.identities), {});
      const report = await runAudit({ spec, target: shelf.target, identities, ...destructive, exclude: ['GET /createdb'] });
      expect(found(report), explain(report)).toContain('bola PUT /users/v1/{username}/password');
      const takeover = report.findings.find((f) => f.operation.path === '/users/v1/{username}/password');
      expect(takeover?.severity).toBe('critical');
      expect(takeover?.evidence).toMatch(/can no longer log in .*put it back/);
      expect(shelf.resets()).toBe(0);
      // Both members can still log in with their own passwords.
      for (const name of ['alice', 'bob']) {
        const recipe = (shelf.identities.identities as Record<string, { login: { json: unknown } }>)[name]?.login.json;
        const answer = await fetch(`${shelf.target}/users/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(recipe) });
        expect(((await answer.json()) as { status: string }).status).toBe('success');
      }
    } finally {
      await shelf.close();
    }
  }, 30_000);

  it('bola by query: GET /invoices?invoiceId=N serves any member\'s invoice (integer ids, API key header)', async () => {
    const report = await expectFindings(startBolaQueryApi, {}, ['bola GET /invoices']);
    expect(report.findings.map((f) => `${f.caller} reads ${f.owner}`).sort()).toEqual(['alice reads bob', 'bob reads alice']);
  }, 15_000);

  it('bola through a link, a compound name, a schema shape and a hypermedia href: each parameter found', async () => {
    await expectFindings(startBolaLinksApi, {}, ['bola GET /docs/{docKey}', 'bola GET /orders/{orderNumber}', 'bola GET /receipts/{receiptKey}', 'bola GET /things/{ref}']);
  }, 15_000);

  it('a sound API where members like each other\'s posts and share a gender: neither is a finding', async () => {
    const report = await expectFindings(startLikesApi, destructive, []);
    expect(report.coverage.find((r) => r.operation.path === '/posts/{postId}/like')?.checks.bola).toBe('tested');
    expect(report.coverage.find((r) => r.operation.path === '/posts/{postId}' && r.operation.method === 'PATCH')?.checks.bola).toBe('tested');
  }, 15_000);

  it('an excluded login operation is not hammered with wrong passwords', async () => {
    const report = await expectFindings(startLoginThrottlingApi, { exclude: ['POST /auth/login'] }, []);
    expect(report.coverage.some((r) => r.operation.path === '/auth/login')).toBe(false);
  }, 15_000);

  it('data-exposure, not BOLA: a profile anyone may read carries the birthday', async () => {
    const report = await expectFindings(startPublicProfileApi, {}, ['data-exposure GET /profiles/{userId}']);
    expect(report.findings.some((f) => f.caller === 'anonymous' || f.title.includes('to anyone'))).toBe(true);
  }, 15_000);

  it('login-throttling: unlimited wrong passwords', async () => {
    const report = await expectFindings(startLoginThrottlingApi, {}, ['login-throttling POST /auth/login']);
    expect(report.coverage.find((r) => r.operation.path === '/auth/login')?.checks['login-throttling']).toBe('tested');
  }, 15_000);

  it('login-throttling under concurrency: a throttle that checks, awaits the hash, then records lets a burst through', async () => {
    // A short lock is waited out and the burst sent to the same account; a long one is not, and the burst goes to bob.
    for (const [lockSeconds, burstFor, after] of [[1, 'alice', ', sent after the 1 s wait the target asked for'], [60, 'bob', '']] as const) {
      const report = await expectFindings(() => startLoginRaceApi('FLAW-check-then-record', lockSeconds), {}, ['login-throttling POST /auth/login']);
      const finding = report.findings[0];
      expect(finding?.owner).toBe(burstFor);
      expect(finding?.title).toMatch(new RegExp(`^POST /auth/login judges \\d+ of 20 concurrent wrong passwords for ${burstFor}, though one at a time it refuses from attempt 6$`));
      const whose = burstFor === 'alice' ? '' : " alice's";
      expect(finding?.evidence).toMatch(new RegExp(`^a burst of 20 concurrent wrong passwords for ${burstFor}${after}: (\\d+) judged \\(401\\), \\d+ refused; one at a time the target refused${whose} from attempt 6`));
      // Well past the 5 (after a wait) a sound throttle allows: scrypt makes the window wide.
      expect(Number(/: (\d+) judged/.exec(finding?.evidence ?? '')?.[1])).toBeGreaterThan(10);
      expect(report.coverage.find((r) => r.operation.path === '/auth/login')?.checks['login-throttling']).toBe('tested');
      expect(report.requests).toBeGreaterThanOrEqual(6 + 20);
    }
  }, 30_000);

  it('login-throttling under concurrency: a throttle that reserves the attempt before hashing reports nothing, and says it tested', async () => {
    const report = await expectFindings(() => startLoginRaceApi('sound-reserves-first', 1), {}, []);
    expect(report.coverage.find((r) => r.operation.path === '/auth/login')?.checks['login-throttling']).toBe('tested');
    // Sound throttles elsewhere (a 60 s lock): the burst went to the second member's account.
    const locked = await expectFindings(startBolaReadApi, {}, ['bola GET /notes/{noteId}']);
    expect(locked.coverage.find((r) => r.operation.path === '/auth/login')?.checks['login-throttling']).toBe('tested');
  }, 30_000);

  it('login-throttling: the burst is skipped, and coverage says why, when options forbid it', async () => {
    const api = await startLoginRaceApi('FLAW-check-then-record', 1);
    try {
      const report = await audit(api, { concurrency: 4 });
      expect(found(report), explain(report)).toEqual([]);
      expect(report.coverage.find((r) => r.operation.path === '/auth/login')?.checks['login-throttling']).toBe(
        'skipped: no concurrent burst: it needs --concurrency 20 or more (one at a time, refused from attempt 6)',
      );
    } finally {
      await api.close();
    }
  }, 30_000);

  it('deny-200: a sound API that refuses with 200 and an error body reports nothing, read-only or writing', async () => {
    const readOnly = await expectFindings(startDeny200Api, {}, []);
    const row = readOnly.matrix.find((r) => r.operation.method === 'GET' && r.operation.path === '/notes/{noteId}');
    expect(row?.cells.anonymous).toBe('denied');
    expect(row?.cells.bob).toBe('denied');
    expect(readOnly.matrix.find((r) => r.operation.method === 'GET' && r.operation.path === '/admin/users')?.cells.bob).toBe('denied');
    await expectFindings(startDeny200Api, destructive, []);
  }, 20_000);

  it('noop-204: a sound API whose refused writes answer an empty 204 reports nothing', async () => {
    await expectFindings(startNoop204Api, destructive, []);
  }, 20_000);
});

/** The apps themselves, called directly: each flaw is really there and the sound refusals really change nothing. */
describe('the vulnerable apps behave as described', () => {
  type Who = Record<string, string>;
  interface Answer {
    status: number;
    headers: Headers;
    json: unknown;
  }

  async function send(api: VulnerableApi, who: Who, method: string, path: string, json?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { ...who };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${api.target}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  /** The request headers that carry an identity's credential, logging in when its recipe says so. */
  async function as(api: VulnerableApi, name: string): Promise<Who> {
    const identity = (api.identities.identities as Record<string, Record<string, unknown>>)[name] ?? {};
    if (identity.headers) return identity.headers as Who;
    if (identity.cookies) return { cookie: Object.entries(identity.cookies as Who).map(([k, v]) => `${k}=${v}`).join('; ') };
    const login = identity.login as { path: string; json: unknown; token: string };
    const res = await send(api, {}, 'POST', login.path, login.json);
    const [from, key = ''] = login.token.split('.');
    if (from === 'body') return { authorization: `Bearer ${(res.json as Who)[key]}` };
    if (from === 'header') return { [key]: res.headers.get(key) ?? '' };
    return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
  }

  const items = (answer: Answer) => (answer.json as { items: Record<string, unknown>[] }).items;

  async function withApi(start: () => Promise<VulnerableApi>, body: (api: VulnerableApi) => Promise<void>): Promise<void> {
    const api = await start();
    try {
      await body(api);
    } finally {
      await api.close();
    }
  }

  it('bola-write, bola-body, bfla and mass-assignment carry their flaw', async () => {
    await withApi(startBolaWriteApi, async (api) => {
      const [alice, bob] = [await as(api, 'alice'), await as(api, 'bob')];
      const [first, second] = items(await send(api, alice, 'GET', '/notes'));
      expect((await send(api, bob, 'GET', `/notes/${first?.id}`)).status).toBe(404);
      expect((await send(api, bob, 'PATCH', `/notes/${first?.id}`, { title: 'MARKER-1' })).status).toBe(204);
      expect((await send(api, alice, 'GET', `/notes/${first?.id}`)).json).toMatchObject({ title: 'MARKER-1' });
      expect((await send(api, bob, 'DELETE', `/notes/${second?.id}`)).status).toBe(204);
      expect((await send(api, alice, 'GET', `/notes/${second?.id}`)).status).toBe(404);
    });
    await withApi(startBolaBodyApi, async (api) => {
      const [alice, bob] = [await as(api, 'alice'), await as(api, 'bob')];
      const [first] = items(await send(api, alice, 'GET', '/notes'));
      expect((await send(api, bob, 'GET', `/notes/${first?.id}`)).status).toBe(404);
      expect(JSON.stringify((await send(api, bob, 'POST', '/exports', { noteIds: [first?.id] })).json)).toContain(canaries.alice);
    });
    await withApi(startBflaApi, async (api) => {
      const [bob, root] = [await as(api, 'bob'), await as(api, 'root')];
      expect((await send(api, bob, 'GET', '/admin/users')).status).toBe(200);
      const rootId = (await send(api, root, 'GET', '/me')).json as { id: string };
      expect((await send(api, bob, 'GET', `/admin/users/${rootId.id}`)).status).toBe(403);
      expect((await send(api, root, 'GET', `/admin/users/${rootId.id}`)).json).toMatchObject({ suspended: false });
      expect((await send(api, bob, 'POST', `/admin/users/${rootId.id}/suspend`)).status).toBe(204);
      expect((await send(api, root, 'GET', `/admin/users/${rootId.id}`)).json).toMatchObject({ suspended: true });
    });
    await withApi(startMassAssignmentApi, async (api) => {
      const alice = await as(api, 'alice');
      expect((await send(api, alice, 'PATCH', '/me', { displayName: 'A', role: 'admin', isAdmin: true })).status).toBe(200);
      expect((await send(api, alice, 'GET', '/me')).json).toMatchObject({ role: 'admin', isAdmin: true });
      const note = (await send(api, alice, 'POST', '/notes', { title: 't', body: 'b', role: 'admin', ownerId: 'x' })).json as Record<string, unknown>;
      expect(note).not.toHaveProperty('role');
      expect(note).not.toHaveProperty('ownerId');
    });
  });

  it('login-race: one at a time both refuse the 6th wrong password; sent together, only the flawed one judges them all', async () => {
    for (const mode of ['FLAW-check-then-record', 'sound-reserves-first'] as const) {
      await withApi(
        () => startLoginRaceApi(mode, 60),
        async (api) => {
          const wrong = (i: number) => send(api, {}, 'POST', '/auth/login', { username: 'alice', password: `wrong-${i}` });
          const queued: number[] = [];
          for (let i = 0; i < 6; i++) queued.push((await wrong(i)).status);
          expect(queued).toEqual([401, 401, 401, 401, 401, 429]);
          const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => send(api, {}, 'POST', '/auth/login', { username: 'bob', password: `wrong-${i}` })));
          const judged = burst.filter((answer) => answer.status === 401).length;
          if (mode === 'sound-reserves-first') expect(judged).toBe(5);
          else expect(judged).toBeGreaterThan(10);
        },
      );
    }
  });

  it('noop-204 and deny-200 refuse without changing anything; logins are throttled where they should be', async () => {
    await withApi(startNoop204Api, async (api) => {
      const [alice, bob, root] = [await as(api, 'alice'), await as(api, 'bob'), await as(api, 'root')];
      const [first] = items(await send(api, alice, 'GET', '/notes'));
      const before = (await send(api, alice, 'GET', `/notes/${first?.id}`)).json;
      expect((await send(api, bob, 'PATCH', `/notes/${first?.id}`, { title: 'MARKER-2' })).status).toBe(204);
      expect((await send(api, bob, 'DELETE', `/notes/${first?.id}`)).status).toBe(204);
      expect((await send(api, alice, 'GET', `/notes/${first?.id}`)).json).toEqual(before);
      const aliceId = ((await send(api, alice, 'GET', '/me')).json as { id: string }).id;
      expect((await send(api, bob, 'POST', `/admin/users/${aliceId}/suspend`)).status).toBe(204);
      expect((await send(api, root, 'GET', `/admin/users/${aliceId}`)).json).toMatchObject({ suspended: false });
      expect((await send(api, {}, 'GET', '/notes')).status).toBe(401);
      expect((await send(api, alice, 'PATCH', `/notes/${first?.id}`, { title: 'mine' })).status).toBe(204);
      expect((await send(api, alice, 'GET', `/notes/${first?.id}`)).json).toMatchObject({ title: 'mine' });
      const created = (await send(api, alice, 'POST', '/notes', { title: 't', body: 'b', ownerId: 'bob' })).json as { id: string };
      expect((await send(api, bob, 'GET', `/notes/${created.id}`)).status).toBe(404);
      expect((await send(api, alice, 'GET', `/notes/${created.id}`)).status).toBe(200);
    });
    await withApi(startDeny200Api, async (api) => {
      const [alice, bob] = [await as(api, 'alice'), await as(api, 'bob')];
      const [first] = items(await send(api, alice, 'GET', '/notes'));
      expect(await send(api, {}, 'GET', '/me')).toMatchObject({ status: 200, json: { error: 'forbidden' } });
      expect(await send(api, bob, 'GET', '/admin/users')).toMatchObject({ status: 200, json: { error: 'forbidden' } });
      expect(await send(api, bob, 'GET', `/notes/${first?.id}`)).toMatchObject({ status: 200, json: { success: false, message: 'not allowed' } });
      expect(await send(api, bob, 'PATCH', `/notes/${first?.id}`, { title: 'MARKER-3' })).toMatchObject({ status: 200, json: { success: false } });
      expect((await send(api, alice, 'GET', `/notes/${first?.id}`)).json).toMatchObject({ title: first?.title });
    });
    for (const start of [startBolaReadApi, startBflaApi, startMassAssignmentApi, startLoginThrottlingApi]) {
      await withApi(start, async (api) => {
        const statuses: number[] = [];
        let retryAfter: string | null = null;
        for (let i = 0; i < 7; i++) {
          const res = await send(api, {}, 'POST', '/auth/login', { username: 'alice', password: `wrong-${i}` });
          statuses.push(res.status);
          retryAfter ??= res.headers.get('retry-after');
        }
        if (start === startLoginThrottlingApi) expect(statuses.every((s) => s === 401)).toBe(true);
        else expect([statuses.slice(0, 5).every((s) => s === 401), statuses.slice(5).every((s) => s === 429), retryAfter]).toEqual([true, true, '60']);
      });
    }
  });
});
