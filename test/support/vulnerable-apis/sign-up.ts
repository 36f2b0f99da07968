/**
 * Flaw (switchable): POST /users/v1/register stores every body property of the new account,
 * `admin` included, and GET /users/v1/me shows it. Shaped like many small APIs: paths under a
 * version prefix, a token in `auth_token`, a sign-up that answers only a message. Sound, the
 * sign-up keeps username, email and password and ignores the rest.
 */
import { randomBytes } from 'node:crypto';
import { LoginThrottle, type VulnerableApi, canaries, jsonBody, newApp, openapi, schemes, serve } from './common.js';

interface Account {
  username: string;
  email: string;
  password: string;
  admin: boolean;
  bio: string;
  extra: Record<string, unknown>;
}

export async function startSignUpApi(flaw: 'FLAW-stores-everything' | 'sound'): Promise<VulnerableApi> {
  const accounts: Account[] = [
    { username: 'alice', email: 'alice@example.org', password: `pw-alice-${randomBytes(6).toString('hex')}`, admin: false, bio: canaries.alice, extra: {} },
    { username: 'bob', email: 'bob@example.org', password: `pw-bob-${randomBytes(6).toString('hex')}`, admin: false, bio: canaries.bob, extra: {} },
  ];
  const sessions = new Map<string, Account>();
  const throttle = new LoginThrottle();
  const signUp = { type: 'object', required: ['username', 'email', 'password'], properties: { username: { type: 'string', pattern: '^[a-z0-9]{3,20}$' }, email: { type: 'string', format: 'email' }, password: { type: 'string', minLength: 8 } } };
  const credentials = { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string' } } };
  const doc = openapi('Sign-up (mass assignment)', '3.0.3', schemes.bearer, {
    '/users/v1/register': { post: { operationId: 'register', security: [], requestBody: jsonBody(signUp), responses: { 200: { description: 'registered' } } } },
    '/users/v1/login': { post: { operationId: 'login', security: [], requestBody: jsonBody(credentials), responses: { 200: { description: 'a token' } } } },
    '/users/v1/me': { get: { operationId: 'me', responses: { 200: { description: 'the caller' } } } },
  });
  const app = newApp(doc);
  app.post('/users/v1/register', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { username, email, password } = body;
    if (typeof username !== 'string' || !/^[a-z0-9]{3,20}$/.test(username) || typeof email !== 'string' || typeof password !== 'string' || password.length < 8) {
      return reply.code(400).send({ status: 'fail', message: 'invalid sign-up' });
    }
    if (accounts.some((a) => a.username === username)) return reply.code(400).send({ status: 'fail', message: 'username taken' });
    const account: Account = { username, email, password, admin: false, bio: '', extra: {} };
    if (flaw === 'FLAW-stores-everything') {
      // The flaw: the rest of the body lands on the account, `admin: true` included.
      for (const [key, value] of Object.entries(body)) {
        if (key === 'admin') account.admin = value === true;
        else if (!['username', 'email', 'password'].includes(key)) account.extra[key] = value;
      }
    }
    accounts.push(account);
    return reply.send({ status: 'success', message: 'Successfully registered. Login to receive an auth token.' });
  });
  app.post('/users/v1/login', async (req, reply) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string') return reply.code(400).send({ status: 'fail', message: 'invalid' });
    const wait = throttle.blocked(username);
    if (wait !== undefined) return reply.code(429).header('retry-after', String(wait)).send({ status: 'fail', message: 'too many attempts' });
    const account = accounts.find((a) => a.username === username && a.password === password);
    if (!account) {
      throttle.failed(username);
      return reply.code(401).send({ status: 'fail', message: 'bad credentials' });
    }
    throttle.succeeded(username);
    const token = randomBytes(16).toString('hex');
    sessions.set(token, account);
    return reply.send({ auth_token: token, message: 'Successfully logged in.' });
  });
  app.get('/users/v1/me', async (req, reply) => {
    const account = sessions.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!account) return reply.code(401).send({ status: 'fail', message: 'login required' });
    return reply.send({ username: account.username, email: account.email, admin: account.admin, bio: account.bio, ...account.extra });
  });
  const login = (a: Account) => ({ login: { path: '/users/v1/login', json: { username: a.username, password: a.password }, token: 'body.auth_token' } });
  const [alice, bob] = accounts as [Account, Account];
  const identities = {
    version: 1,
    identities: { alice: { ...login(alice), canaries: [canaries.alice] }, bob: { ...login(bob), canaries: [canaries.bob] } },
    publicFields: ['username'],
  };
  return serve(app, identities, () => [...accounts.map((a) => a.password), ...sessions.keys()]);
}
