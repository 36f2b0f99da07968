import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BudgetExhausted,
  LoginFailed,
  RequestRefused,
  RequestTimeout,
  createAuditClient,
  type AuditClientOptions,
} from '../src/audit/http-client.js';
import type { Credential, IdentitiesFile, Identity, LoginRecipe } from '../src/audit/identities.js';

const password = 'Pa55word-never-shown';
const staticSecret = 'Bearer st4tic-S3cret-value';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** The fake API: one login issuing a token in body, header and cookie, and a few resources. */
const state = {
  seen: [] as Seen[],
  valid: new Set<string>(),
  logins: 0,
  alwaysReject: false,
  throttledLogins: 0,
  rateLimited: 0,
  inFlight: 0,
  maxInFlight: 0,
};

function credentialOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const custom = req.headers['x-session'];
  if (typeof custom === 'string' && custom.startsWith('Token ')) return custom.slice('Token '.length);
  return /(?:^|; )session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  state.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/authz1(?=\/)/, '');
  const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  if (path === '/api/login') {
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { password?: string };
    if (state.throttledLogins > 0) {
      state.throttledLogins -= 1;
      return send(429, { error: 'too many attempts' }, { 'retry-after': '1' });
    }
    if (body.password !== password) return send(401, { error: 'bad credentials' });
    state.logins += 1;
    const token = `tok${state.logins}-${Math.random().toString(36).slice(2)}`;
    state.valid.add(token);
    return send(200, { data: { token } }, { 'x-auth-token': token, 'set-cookie': `session=${token}; Path=/; HttpOnly` });
  }
  if (path === '/hang') return; // never answers
  if (path === '/python-dict') return void res.writeHead(200, { 'content-type': 'application/json' }).end("{'username': 'name1', 'email': 'mail1@mail.com', 'admin': True}");
  if (path === '/rate-limited') {
    state.rateLimited += 1;
    return state.rateLimited === 1 ? send(429, { error: 'slow down' }, { 'retry-after': '1' }) : send(200, { ok: true });
  }
  if (path === '/slow') {
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 40));
    state.inFlight -= 1;
    return send(200, {});
  }
  const token = credentialOf(req);
  if (state.alwaysReject || (token !== undefined && token.startsWith('tok') && !state.valid.has(token))) return send(401, {});
  send(200, { path, method: req.method });
}

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  Object.assign(state, { seen: [], valid: new Set(), logins: 0, alwaysReject: false, throttledLogins: 0, rateLimited: 0, inFlight: 0, maxInFlight: 0 });
});

function identity(name: string, credential: Credential): Identity {
  return { name, role: 'member', credential, owns: {}, canaries: [] };
}

function login(overrides: Partial<LoginRecipe> = {}): Credential {
  return {
    kind: 'login',
    login: {
      method: 'POST',
      path: '/api/login',
      body: { kind: 'json', value: { login: 'alice', password } },
      token: { from: 'body', path: ['data', 'token'] },
      use: { kind: 'header', header: 'Authorization', value: 'Bearer {token}' },
      ...overrides,
    },
  };
}

const identities: IdentitiesFile = {
  version: 1,
  publicFields: [],
  identities: [
    identity('anonymous', { kind: 'none' }),
    identity('alice', login()),
    identity('hank', login({ token: { from: 'header', name: 'X-Auth-Token' }, use: { kind: 'header', header: 'X-Session', value: 'Token {token}' } })),
    identity('cora', login({ token: { from: 'cookie', name: 'session' }, use: { kind: 'cookie', cookie: 'session' } })),
    identity('mallory', login({ body: { kind: 'json', value: { login: 'mallory', password: 'wrong' } } })),
    identity('bob', { kind: 'headers', headers: { Authorization: staticSecret, 'X-Api-Key': 'key-1234-abcd' } }),
    identity('root', { kind: 'cookies', cookies: { token: 'root-cookie-secret' } }),
  ],
};

function client(options: Partial<AuditClientOptions> = {}) {
  return createAuditClient({ target: base, identities, ...options });
}

const get = (path: string) => ({ method: 'GET', path });
const resourceRequests = () => state.seen.filter((seen) => !seen.url.endsWith('/api/login'));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('credentials', () => {
  it('sends static headers and cookies as written', async () => {
    const api = client();
    const answer = await api.send('bob', get('/me'));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ path: '/me', method: 'GET' });
    expect(state.seen[0]?.headers.authorization).toBe(staticSecret);
    expect(state.seen[0]?.headers['x-api-key']).toBe('key-1234-abcd');
    await api.send('root', { method: 'GET', path: '/me', headers: { Cookie: 'theme=dark' } });
    expect(state.seen[1]?.headers.cookie).toBe('theme=dark; token=root-cookie-secret');
  });

  it('sends nothing for anonymous', async () => {
    await client().send('anonymous', get('/me'));
    expect(state.seen[0]?.headers.authorization).toBeUndefined();
    expect(state.seen[0]?.headers.cookie).toBeUndefined();
  });

  it('logs in once, lazily, with the token from a body path', async () => {
    const api = client();
    expect(api.requestsMade()).toBe(0);
    const answers = await Promise.all([api.send('alice', get('/a')), api.send('alice', get('/b')), api.send('alice', get('/c'))]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(state.logins).toBe(1);
    expect(api.requestsMade()).toBe(4);
    const [token] = [...state.valid];
    expect(resourceRequests().every((seen) => seen.headers.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('takes the token from a header and sends it through a header template', async () => {
    await client().send('hank', get('/me'));
    const [token] = [...state.valid];
    expect(resourceRequests()[0]?.headers['x-session']).toBe(`Token ${token}`);
    expect(resourceRequests()[0]?.headers.authorization).toBeUndefined();
  });

  it('takes the token from Set-Cookie and sends it back as a cookie', async () => {
    const answer = await client().send('cora', get('/me'));
    expect(answer.status).toBe(200);
    const [token] = [...state.valid];
    expect(resourceRequests()[0]?.headers.cookie).toBe(`session=${token}`);
  });

  it('re-logs in once and retries once after a 401', async () => {
    const api = client();
    await api.send('alice', get('/me'));
    state.valid.clear(); // the server revokes the first token
    const answer = await api.send('alice', get('/me'));
    expect(answer.status).toBe(200);
    expect(state.logins).toBe(2);
    expect(api.requestsMade()).toBe(5);
  });

  it('does not loop when the retry answers 401 again', async () => {
    state.alwaysReject = true;
    const api = client();
    const answer = await api.send('alice', get('/me'));
    expect(answer.status).toBe(401);
    expect(state.logins).toBe(2);
    expect(resourceRequests()).toHaveLength(2);
  });

  it('waits once for a short Retry-After when the login is throttled, then logs in', async () => {
    state.throttledLogins = 1;
    const started = Date.now();
    const answer = await client().send('alice', get('/me'));
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(state.seen.filter((s) => s.url.endsWith('/api/login'))).toHaveLength(2);
  });

  it('gives up on a login still throttled after one wait', async () => {
    state.throttledLogins = 2;
    const error = await rejection(client().send('alice', get('/me')));
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error.message).toMatch(/alice.*429/);
  });

  it('reports a failed login with identity and status, never the password', async () => {
    const error = await rejection(client().send('mallory', get('/me')));
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error.message).toMatch(/mallory.*401/);
    expect(error.message).not.toContain('wrong');
    expect(error.message).not.toContain('\n');
  });

  it('rejects an unknown identity', async () => {
    await expect(client().send('nobody', get('/me'))).rejects.toThrow(/unknown identity "nobody"/);
  });
});

describe('invalid credentials', () => {
  it('keeps header names and scheme but changes the secret', async () => {
    const answer = await client().send('bob', get('/me'), { credential: 'invalid' });
    expect(answer.status).toBe(200);
    const sent = state.seen[0]?.headers;
    expect(sent?.authorization).toMatch(/^Bearer st4t/);
    expect(sent?.authorization).not.toBe(staticSecret);
    expect(sent?.authorization).toHaveLength(staticSecret.length);
    expect(sent?.['x-api-key']).not.toBe('key-1234-abcd');
  });

  it('sends a random bearer token for anonymous', async () => {
    await client().send('anonymous', get('/me'), { credential: 'invalid' });
    expect(state.seen[0]?.headers.authorization).toMatch(/^Bearer \S{16,}$/);
  });

  it('mangles a login token and does not re-login on the expected 401', async () => {
    const answer = await client().send('alice', get('/me'), { credential: 'invalid' });
    expect(answer.status).toBe(401);
    expect(state.logins).toBe(1);
    const [token] = [...state.valid];
    const sent = resourceRequests()[0]?.headers.authorization;
    expect(sent).toMatch(/^Bearer tok/);
    expect(sent).not.toBe(`Bearer ${token}`);
  });

  it('mangles a cookie value under the same name', async () => {
    await client().send('root', get('/me'), { credential: 'invalid' });
    const cookie = state.seen[0]?.headers.cookie ?? '';
    expect(cookie).toMatch(/^token=root-/);
    expect(cookie).not.toBe('token=root-cookie-secret');
  });
});

describe('safety gates', () => {
  it('refuses writes without allowWrites and without touching the network', async () => {
    const api = client();
    await expect(api.send('bob', { method: 'POST', path: '/things', json: { a: 1 } })).rejects.toBeInstanceOf(RequestRefused);
    await expect(api.send('bob', { method: 'patch', path: '/things/1' })).rejects.toBeInstanceOf(RequestRefused);
    expect(state.seen).toHaveLength(0);
    expect(api.requestsMade()).toBe(0);
    const writer = client({ allowWrites: true });
    const answer = await writer.send('bob', { method: 'POST', path: '/things', json: { a: 1 } });
    expect(answer.json).toEqual({ path: '/things', method: 'POST' });
    expect(state.seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('refuses DELETE and destructive requests without allowDestructive', async () => {
    const writer = client({ allowWrites: true });
    await expect(writer.send('bob', { method: 'DELETE', path: '/things/1' })).rejects.toBeInstanceOf(RequestRefused);
    await expect(writer.send('bob', get('/reset'), { destructive: true })).rejects.toBeInstanceOf(RequestRefused);
    expect(state.seen).toHaveLength(0);
    const destroyer = client({ allowWrites: true, allowDestructive: true });
    expect((await destroyer.send('bob', { method: 'DELETE', path: '/things/1' })).status).toBe(200);
  });

  it('keeps every URL under the target path prefix', async () => {
    const api = client({ target: `${base}/authz1/` });
    await api.send('alice', { method: 'GET', path: '/users/1', query: { q: 'a b&c' } });
    expect(state.seen.map((seen) => seen.url)).toEqual(['/authz1/api/login', '/authz1/users/1?q=a+b%26c']);
    for (const path of ['/../x', '/a/../../x', '/%2e%2e/x', 'http://evil.example/x', '@evil.example/x', '/x?y=1', '/x#f']) {
      await expect(api.send('bob', get(path)), path).rejects.toBeInstanceOf(RequestRefused);
    }
    expect(state.seen).toHaveLength(2);
  });

  it('keeps a protocol-relative path on the target host', async () => {
    const urls: string[] = [];
    const spy: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const api = client({ target: `${base}/authz1`, fetch: spy });
    expect((await api.send('bob', get('//evil.example/x'))).status).toBe(200);
    expect(urls).toEqual([`${base}/authz1//evil.example/x`]);
    expect(api.curlFor('bob', get('/\\evil.example/x'))).toContain(`'${base}/authz1/`);
  });

  it('stops at the request budget, counting logins', async () => {
    const api = client({ maxRequests: 3 });
    await api.send('alice', get('/a'));
    await api.send('alice', get('/b'));
    await expect(api.send('alice', get('/c'))).rejects.toBeInstanceOf(BudgetExhausted);
    expect(api.requestsMade()).toBe(3);
    expect(state.seen).toHaveLength(3);
  });

  it('times out with a clear error', async () => {
    const error = await rejection(client({ timeoutMs: 100 }).send('anonymous', get('/hang')));
    expect(error).toBeInstanceOf(RequestTimeout);
    expect(error.message).toMatch(/GET .*\/hang timed out after 100 ms/);
  });
});

describe('throttling', () => {
  it('spaces requests to the rate', async () => {
    const api = client({ rate: 20, concurrency: 10 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, index) => api.send('bob', get(`/r${index}`))));
    // Ten starts 50 ms apart: the last one at 450 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('bounds requests in flight', async () => {
    const api = client({ concurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, () => api.send('bob', get('/slow'))));
    expect(state.maxInFlight).toBe(2);
  });
});

describe('answers labelled JSON that are not', () => {
  it('reads a printed Python dict as the object it shows', async () => {
    const answer = await client().send('bob', get('/python-dict'));
    expect(answer.json).toEqual({ username: 'name1', email: 'mail1@mail.com', admin: true });
  });
});

describe('rate-limited answers', () => {
  it('waits out a short Retry-After once and sends the request again', async () => {
    const answer = await client().send('bob', get('/rate-limited'));
    expect(answer.status).toBe(200);
    expect(state.rateLimited).toBe(2);
  });

  it('hands the 429 over untouched when retrying is off', async () => {
    const answer = await client({ retryThrottled: false }).send('bob', get('/rate-limited'));
    expect(answer.status).toBe(429);
    expect(state.rateLimited).toBe(1);
  });
});

describe('curlFor', () => {
  it('shows placeholders, never secrets, and quotes safely', () => {
    const api = client({ target: `${base}/authz1` });
    const alice = api.curlFor('alice', { method: 'POST', path: '/notes', json: { text: "it's" } });
    expect(alice).toBe(
      `curl -sS -X 'POST' -H 'Content-Type: application/json' -H 'Authorization: Bearer <alice>' --data-raw '{"text":"it'\\''s"}' '${base}/authz1/notes'`,
    );
    const bob = api.curlFor('bob', get('/me'));
    expect(bob).toContain(`-H 'Authorization: <bob>'`);
    expect(bob).not.toContain('st4tic');
    expect(bob).not.toContain('key-1234');
    expect(api.curlFor('root', get('/me'))).toContain(`-H 'Cookie: token=<root>'`);
    expect(api.curlFor('cora', { method: 'HEAD', path: '/me' })).toContain(`--head -H 'Cookie: session=<cora>'`);
    expect(api.curlFor('anonymous', get('/me'))).toBe(`curl -sS '${base}/authz1/me'`);
    expect(state.seen).toHaveLength(0);
  });
});
