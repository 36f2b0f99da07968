import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/auth/tokens.js';
import { publicAccess } from '../src/authz/access.js';
import { buildApp, redactPaths } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { type TestDatabase, createTestDatabase } from './support/databases.js';

/** Collects every log line the app writes, as src/cli/serve.ts configures it but into memory. */
function memoryStream() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe('logs never hold credentials', () => {
  let db: TestDatabase;
  let app: App;
  const captured = memoryStream();

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    // The same logger options as `paceline serve`, at the chattiest level, with an in-memory stream.
    app = await buildApp({
      data: db.data,
      auth: { registrationsPerHour: 1000 },
      logger: { level: 'trace', redact: { paths: redactPaths, censor: '[redacted]' }, stream: captured.stream },
    });
    // A handler that logs a whole request body, as a careless one might: redaction must still apply.
    app.post('/test/log-body', { config: { access: publicAccess } }, async (request) => {
      request.log.info({ body: request.body }, 'body received');
      return { ok: true };
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const post = (url: string, payload: object, token?: string) =>
    app.inject({ method: 'POST', url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('keeps passwords, bearer tokens, their hashes and Authorization headers out of the log', async () => {
    const password = 'correct horse battery staple 1729';
    const wrongPassword = 'not the right passphrase 3141';
    const newPassword = 'an even longer passphrase 2718';

    const registered = await post('/api/v1/auth/register', { username: 'logan', email: 'logan@example.test', password });
    expect(registered.statusCode, registered.body).toBe(201);

    const login = await post('/api/v1/auth/login', { login: 'logan', password });
    expect(login.statusCode, login.body).toBe(200);
    const session = login.json().token as string;
    const second = (await post('/api/v1/auth/login', { login: 'logan@example.test', password })).json().token as string;

    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session}` } });
    expect(me.statusCode).toBe(200);
    const patched = await app.inject({ method: 'PATCH', url: '/api/v1/me', payload: { bio: 'rides at dawn' }, headers: { authorization: `Bearer ${session}` } });
    expect(patched.statusCode).toBe(200);

    const created = await post('/api/v1/me/tokens', { name: 'watch', scopes: ['profile:read'] }, session);
    expect(created.statusCode, created.body).toBe(201);
    const personal = created.json().token as string;
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${personal}` } })).statusCode).toBe(200);

    // Failures are where details tend to be logged: a wrong password, a well-formed unknown token, a bad header.
    expect((await post('/api/v1/auth/login', { login: 'logan', password: wrongPassword })).statusCode).toBe(401);
    const unknownToken = `pls_${'Q'.repeat(43)}`;
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${unknownToken}` } })).statusCode).toBe(401);
    const oddHeader = 'Basic bG9nYW46c2VjcmV0LXBhc3N3b3Jk';
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: oddHeader } })).statusCode).toBe(401);
    const badChange = await post('/api/v1/me/password', { currentPassword: wrongPassword, newPassword }, session);
    expect(badChange.statusCode).toBe(400);

    const changed = await post('/api/v1/me/password', { currentPassword: password, newPassword }, session);
    expect(changed.statusCode, changed.body).toBe(204);
    // The other session was revoked by the change: a revoked token is another failure path.
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${second}` } })).statusCode).toBe(401);
    expect((await post('/api/v1/auth/logout', {}, session)).statusCode).toBe(204);

    const log = captured.lines.join('');
    // The capture works: every request above left its lines, so an empty log cannot pass.
    expect(captured.lines.length).toBeGreaterThan(20);
    expect(log).toContain('/api/v1/auth/login');
    expect(log).toContain('/api/v1/me/password');

    const secrets = {
      password,
      wrongPassword,
      newPassword,
      session,
      second,
      personal,
      unknownToken,
      sessionHash: hashSecret(session),
      secondHash: hashSecret(second),
      personalHash: hashSecret(personal),
      oddHeader,
      basicCredentials: 'bG9nYW46c2VjcmV0LXBhc3N3b3Jk',
    };
    const leaked = Object.entries(secrets).filter(([, value]) => log.includes(value)).map(([name]) => name);
    expect(leaked).toEqual([]);
    // No fragment of a token either (a log line that truncates one still leaks most of it).
    for (const token of [session, second, personal]) expect(log).not.toContain(token.slice(4, 24));
    expect(log.toLowerCase()).not.toContain('bearer pl');
  });

  it('redacts credential fields when a handler logs a request body', async () => {
    const before = captured.lines.length;
    const body = { password: 'body password 12345', currentPassword: 'current 12345', newPassword: 'new 12345', token: `plt_${'Z'.repeat(43)}`, note: 'visible' };
    expect((await post('/test/log-body', body)).statusCode).toBe(200);
    const log = captured.lines.slice(before).join('');
    expect(log).toContain('visible');
    expect(log).toContain('[redacted]');
    for (const secret of [body.password, body.currentPassword, body.newPassword, body.token]) expect(log).not.toContain(secret);
  });
});
