import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdentities } from '../src/audit/identities.js';
import { runAudit } from '../src/audit/run-audit.js';
import { loadSpec } from '../src/audit/spec.js';
import { hashPassword } from '../src/auth/passwords.js';
import { openDataLayer } from '../src/data/data-layer.js';
import { createDemoContent } from '../src/cli/demo-members.js';
import { buildApp } from '../src/http/app.js';

/** A deliberately vulnerable API modeled on the 2021 Peloton breach. */
const members: Record<string, { id: string; username: string; email: string; birthday: string; weight: number; role: string; password: string }> = {
  tokA: { id: 'u-1001', username: 'alice', email: 'alice@example.org', birthday: '1990-01-02', weight: 61, role: 'member', password: 'pw-alice' },
  tokB: { id: 'u-1002', username: 'bob', email: 'bob@example.org', birthday: '1985-05-06', weight: 80, role: 'member', password: 'pw-bob' },
  tokR: { id: 'u-1003', username: 'root', email: 'root@example.org', birthday: '1970-07-08', weight: 70, role: 'admin', password: 'pw-root' },
};

const secured = [{ bearer: [] }];
const fixtureSpec = {
  openapi: '3.1.0',
  info: { title: 'Vulnerable cycles', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  security: secured,
  paths: {
    '/api/me': { get: { operationId: 'getMe', responses: { 200: { description: 'me' } } } },
    '/api/user/{userId}': {
      get: { operationId: 'getUser', parameters: [{ name: 'userId', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'user' } } },
    },
    '/api/admin/users': { get: { operationId: 'adminListUsers', tags: ['admin'], responses: { 200: { description: 'all' } } } },
    '/auth/login': { post: { operationId: 'login', security: [], responses: { 200: { description: 'token' } } } },
  },
};

function startFixture(): Promise<Server> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const me = members[token];
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/auth/login') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { login, password } = JSON.parse(body) as { login: string; password: string };
        const entry = Object.entries(members).find(([, m]) => m.username === login && m.password === password);
        // No throttling at all: the flaw under test.
        if (entry) json(200, { token: entry[0] });
        else json(401, { error: 'bad credentials' });
      });
      return;
    }
    const profile = (m: (typeof members)[string]) => ({ id: m.id, username: m.username, email: m.email, birthday: m.birthday, weight: m.weight });
    if (url.pathname === '/api/me') return me ? json(200, profile(me)) : json(401, { error: 'login required' });
    const user = /^\/api\/user\/(.+)$/.exec(url.pathname);
    if (user) {
      // Any member's full profile to anyone, even without a token.
      const found = Object.values(members).find((m) => m.id === user[1]);
      return found ? json(200, profile(found)) : json(404, { error: 'not found' });
    }
    if (url.pathname === '/api/admin/users') return me ? json(200, Object.values(members).map(profile)) : json(401, { error: 'login required' });
    if (url.pathname === '/openapi.json') return json(200, fixtureSpec);
    json(404, { error: 'not found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function identitiesFile(body: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audit-run-'));
  const file = path.join(dir, 'identities.json');
  await writeFile(file, JSON.stringify(body));
  return file;
}

const login = (name: string, password: string, loginPath: string) => ({ login: { path: loginPath, json: { login: name, password }, token: 'body.token' } });

describe('runAudit against a vulnerable fixture', () => {
  it('finds no-auth, bola, bfla, data exposure and missing login throttling', async () => {
    const server = await startFixture();
    servers.push(server);
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const spec = await loadSpec(`${target}/openapi.json`);
    const identities = await loadIdentities(
      await identitiesFile({
        version: 1,
        identities: {
          alice: { ...login('alice', 'pw-alice', '/auth/login'), canaries: ['alice@example.org'] },
          bob: login('bob', 'pw-bob', '/auth/login'),
          root: { role: 'admin', ...login('root', 'pw-root', '/auth/login') },
        },
        publicFields: ['id', 'username'],
      }),
    );
    const report = await runAudit({ spec, target, identities });
    const has = (check: string, extra: (f: (typeof report.findings)[number]) => boolean = () => true) =>
      report.findings.some((f) => f.check === check && extra(f));
    expect(has('no-auth', (f) => f.operation.path === '/api/user/{userId}' && f.caller === 'anonymous')).toBe(true);
    expect(has('bola', (f) => f.owner === 'alice' && f.caller === 'bob')).toBe(true);
    expect(has('bola', (f) => f.owner === 'bob' && f.caller === 'alice')).toBe(true);
    expect(has('bfla', (f) => f.operation.path === '/api/admin/users' && f.caller === 'bob')).toBe(true);
    expect(has('data-exposure', (f) => f.owner === 'alice' && f.caller === 'bob')).toBe(true);
    expect(has('login-throttling', (f) => f.operation.path === '/auth/login')).toBe(true);
    // Evidence is redacted and curl never carries a real token.
    expect(JSON.stringify(report.findings)).not.toContain('alice@example.org');
    expect(JSON.stringify(report.findings)).not.toContain('tokA');
    const row = report.matrix.find((r) => r.operation.path === '/api/user/{userId}');
    expect(row?.cells.bob).toBe('leaked');
  });
});

describe('runAudit against Paceline', () => {
  it('finds nothing, tests every operation that takes an object reference, and shows private data as denied', async () => {
    const data = openDataLayer('sqlite::memory:');
    await data.migrate();
    const app = await buildApp({ data, auth: { registrationsPerHour: 10_000 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const target = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const password = 'a long and unusual passphrase 42';
      const inject = async (method: string, url: string, body?: unknown, token?: string) => {
        const res = await app.inject({ method: method as 'GET', url, payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
        if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
        return (res.body ? res.json() : {}) as Record<string, unknown>;
      };
      for (const name of ['alice', 'bob', 'carol']) await inject('POST', '/api/v1/auth/register', { username: name, email: `${name}@example.test`, password });
      await data.accounts.register({ username: 'root', email: 'root@example.test', passwordHash: await hashPassword(password), role: 'admin' });
      await data.accounts.register({ username: 'coach', email: 'coach@example.test', passwordHash: await hashPassword(password), role: 'instructor' });
      const tokenOf = async (name: string) => (await inject('POST', '/api/v1/auth/login', { login: name, password })).token as string;
      const tokens = Object.fromEntries(await Promise.all(['alice', 'bob', 'carol', 'coach', 'root'].map(async (n) => [n, await tokenOf(n)] as const)));
      const idOf = async (name: string) => (await inject('GET', '/api/v1/me', undefined, tokens[name])).id as string;
      // Alice is private, with a canary bio and an only-me workout; carol (no identity) follows her,
      // she follows the coach, and rode the coach's class, so every list the probes read has rows.
      await inject('PATCH', '/api/v1/me', { bio: 'CANARYBIO7f3e', privacy: { profile: 'private' } }, tokens.alice);
      await inject('PATCH', '/api/v1/me', { privacy: { profile: 'private' } }, tokens.root);
      await inject('POST', '/api/v1/workouts', { discipline: 'cycling', title: 'CANARYRIDE1a2b', startedAt: new Date().toISOString(), durationSeconds: 600, visibility: 'only_me' }, tokens.alice);
      await inject('POST', `/api/v1/users/${await idOf('alice')}/follow`, undefined, tokens.carol);
      await inject('POST', `/api/v1/me/follow-requests/${await idOf('carol')}/approve`, undefined, tokens.alice);
      await inject('POST', `/api/v1/users/${await idOf('coach')}/follow`, undefined, tokens.alice);
      await inject('POST', `/api/v1/me/follow-requests/${await idOf('alice')}/approve`, undefined, tokens.coach);
      const ride = { title: 'Hills', discipline: 'cycling', durationSeconds: 1800, difficulty: 5, airedAt: new Date().toISOString() };
      const fitnessClass = await inject('POST', '/api/v1/classes', ride, tokens.coach);
      const classRide = { classId: fitnessClass.id, discipline: 'cycling', title: 'Class ride', startedAt: new Date().toISOString(), durationSeconds: 1800, totalOutputKj: 300, visibility: 'public' };
      await inject('POST', '/api/v1/workouts', classRide, tokens.alice);
      const spec = await loadSpec(`${target}/openapi.json`);
      const identities = await loadIdentities(
        await identitiesFile({
          version: 1,
          identities: {
            alice: { ...login('alice', password, '/api/v1/auth/login'), canaries: ['CANARYBIO7f3e', 'CANARYRIDE1a2b', 'alice@example.test'] },
            bob: { ...login('bob', password, '/api/v1/auth/login'), canaries: ['bob@example.test'] },
            coach: { role: 'instructor', ...login('coach', password, '/api/v1/auth/login') },
            root: { role: 'admin', ...login('root', password, '/api/v1/auth/login') },
          },
          publicFields: ['id', 'username', 'displayName', 'isPrivate'],
        }),
      );
      const report = await runAudit({ spec, target, identities, allowWrites: true, allowDestructive: true });
      expect(report.findings).toEqual([]);
      const untested = report.coverage
        .filter((row) => row.operation.path.includes('{'))
        .flatMap((row) =>
          Object.entries(row.checks)
            .filter(([, value]) => value !== 'tested' && value !== 'not applicable')
            .map(([check, value]) => `${row.operation.method} ${row.operation.path} ${check}: ${value}`),
        );
      expect(untested).toEqual([]);
      // Every check ran somewhere, and object-level authorization on every reference operation.
      for (const check of ['no-auth', 'bola', 'bfla', 'data-exposure', 'mass-assignment', 'login-throttling']) {
        expect(report.coverage.some((row) => row.checks[check as keyof typeof row.checks] === 'tested'), check).toBe(true);
      }
      const row = report.matrix.find((r) => r.operation.path === '/api/v1/users/{userId}' && r.operation.method === 'GET');
      expect(row?.cells.bob).toBe('denied');
      expect(row?.cells.anonymous).toBe('denied');
    } finally {
      await app.close();
      await data.close();
    }
  }, 60_000);
});

describe('examples/paceline-identities.yaml against the demo of `npm start`', () => {
  it('logs in as every demo member and finds nothing, read-only and with writes', async () => {
    const data = openDataLayer('sqlite::memory:');
    await data.migrate();
    const demo = await createDemoContent(data);
    const app = await buildApp({ data });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const target = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const env = Object.fromEntries(demo.members.map((m) => [`DEMO_${m.username.replace('demo_', '').toUpperCase()}_PASSWORD`, m.password]));
      const identities = await loadIdentities(path.join(import.meta.dirname, '..', 'examples', 'paceline-identities.yaml'), env);
      const spec = await loadSpec(`${target}/openapi.json`);
      for (const writes of [false, true]) {
        const report = await runAudit({ spec, target, identities, allowWrites: writes, allowDestructive: writes });
        expect(report.findings).toEqual([]);
        // Every identity really signed in: each one's "me" read was allowed.
        const me = report.matrix.find((r) => r.operation.method === 'GET' && r.operation.path === '/api/v1/me');
        for (const name of ['public_member', 'private_member', 'coach', 'admin']) expect(me?.cells[name]).toBe('allowed');
      }
    } finally {
      await app.close();
      await data.close();
    }
  }, 60_000);
});
