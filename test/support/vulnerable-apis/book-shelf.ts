/**
 * A small third-party-style API with several flaws at once and an incomplete spec, shaped like the
 * training APIs security teams practise on: versioned paths, a token in `auth_token`, books named
 * by title rather than id, no response schemas, no security declared anywhere, request schemas that
 * list properties without saying which are required (the server requires them all), and fixed
 * `example` values (a second sign-up with the example name would be refused).
 * Flaws: a debug list with every password (exposure), any member reads any book's secret (BOLA),
 * any member sets any member's password (BOLA, account takeover), sign-up stores `admin` (mass
 * assignment, visible in the debug list), and logins are never throttled. `GET /createdb` resets
 * everything and must never be called without --allow-destructive.
 */
import { randomBytes } from 'node:crypto';
import { type VulnerableApi, canaries, jsonBody, newApp, openapi, schemes, serve } from './common.js';

interface Account {
  username: string;
  email: string;
  password: string;
  admin: boolean;
}

interface Book {
  title: string;
  secret: string;
  owner: string;
}

export interface BookShelfApi extends VulnerableApi {
  /** How often GET /createdb was called. */
  resets(): number;
}

export async function startBookShelfApi(): Promise<BookShelfApi> {
  const passwords = { alice: `pw-alice-${randomBytes(6).toString('hex')}`, bob: `pw-bob-${randomBytes(6).toString('hex')}` };
  const initial = (): { accounts: Account[]; books: Book[] } => ({
    accounts: [
      { username: 'alice', email: 'alice@example.org', password: passwords.alice, admin: false },
      { username: 'bob', email: 'bob@example.org', password: passwords.bob, admin: false },
      { username: 'admin', email: 'admin@example.org', password: `pw-admin-${randomBytes(6).toString('hex')}`, admin: true },
    ],
    books: [
      { title: 'alices-diary', secret: canaries.alice, owner: 'alice' },
      { title: 'bobs-ledger', secret: canaries.bob, owner: 'bob' },
    ],
  });
  let state = initial();
  let resets = 0;
  const sessions = new Map<string, string>();
  const caller = (authorization: string | undefined) => {
    const name = sessions.get((authorization ?? '').replace(/^Bearer /, ''));
    return state.accounts.find((a) => a.username === name);
  };
  const titleParam = { name: 'book_title', in: 'path', required: true, schema: { type: 'string' } };
  const usernameParam = { name: 'username', in: 'path', required: true, schema: { type: 'string' } };
  const done = { 200: { description: 'done' } };
  const doc = openapi('Book shelf', '3.0.3', schemes.bearer, {
    '/createdb': { get: { operationId: 'createdb', summary: 'Recreates the database', responses: done } },
    '/users/v1': { get: { operationId: 'listUsers', responses: done } },
    '/users/v1/_debug': { get: { operationId: 'debugUsers', responses: done } },
    '/users/v1/register': {
      post: { operationId: 'register', requestBody: jsonBody({ type: 'object', properties: { username: { type: 'string', example: 'John.Doe' }, password: { type: 'string', example: 'password123' }, email: { type: 'string', example: 'user@tempmail.com' } } }), responses: done },
    },
    '/users/v1/login': {
      post: { operationId: 'login', requestBody: jsonBody({ type: 'object', properties: { username: { type: 'string', example: 'John.Doe' }, password: { type: 'string', example: 'password123' } } }), responses: done },
    },
    '/users/v1/{username}': { get: { operationId: 'getUser', parameters: [usernameParam], responses: done } },
    '/users/v1/{username}/password': {
      put: { operationId: 'updatePassword', parameters: [usernameParam], requestBody: jsonBody({ type: 'object', properties: { password: { type: 'string', example: 'pass4' } } }), responses: { 204: { description: 'changed' } } },
    },
    '/books/v1': {
      get: { operationId: 'listBooks', responses: done },
      post: { operationId: 'addBook', requestBody: jsonBody({ type: 'object', properties: { book_title: { type: 'string', example: 'book99' }, secret: { type: 'string', example: 'pass1secret' } } }), responses: done },
    },
    // Like every operation here, the spec declares no security; the API does require a token.
    '/books/v1/{book_title}': { get: { operationId: 'getBook', parameters: [titleParam], responses: done } },
  });
  // No security is declared at all, as in many hand-written specs.
  delete doc.security;
  delete (doc.components as Record<string, unknown>).securitySchemes;
  const app = newApp(doc);
  const fail = (message: string) => ({ status: 'fail', message });
  app.get('/createdb', async () => {
    resets += 1;
    state = initial();
    sessions.clear();
    return { message: 'Database populated.' };
  });
  app.get('/users/v1', async () => ({ users: state.accounts.map((a) => ({ username: a.username })) }));
  // Flaw: every account with its password, to anyone.
  app.get('/users/v1/_debug', async () => ({ users: state.accounts.map((a) => ({ username: a.username, email: a.email, password: a.password, admin: a.admin })) }));
  app.post('/users/v1/register', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { username, password, email } = body;
    if (typeof username !== 'string' || typeof password !== 'string' || typeof email !== 'string') return reply.code(400).send(fail('username, password and email required'));
    if (state.accounts.some((a) => a.username === username)) return reply.code(400).send(fail('User already exists.'));
    // Flaw: `admin` from the body is stored.
    state.accounts.push({ username, email, password, admin: body.admin === true });
    return reply.code(200).send({ status: 'success', message: 'Successfully registered. Login to receive an auth token.' });
  });
  // Flaw: no throttling at all.
  app.post('/users/v1/login', async (req, reply) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    const account = state.accounts.find((a) => a.username === username && a.password === password);
    if (!account) return reply.code(200).send(fail('Username or Password Incorrect!'));
    const token = randomBytes(16).toString('hex');
    sessions.set(token, account.username);
    return { auth_token: token, message: 'Successfully logged in.', status: 'success' };
  });
  app.get('/users/v1/:username', async (req, reply) => {
    const account = state.accounts.find((a) => a.username === (req.params as { username: string }).username);
    return account ? { username: account.username } : reply.code(404).send(fail('User not found'));
  });
  app.put('/users/v1/:username/password', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send(fail('Invalid token.'));
    const { password } = (req.body ?? {}) as Record<string, unknown>;
    // Flaw: the path names whose password changes, and nobody checks it is the caller's.
    const target = state.accounts.find((a) => a.username === (req.params as { username: string }).username);
    if (!target || typeof password !== 'string') return reply.code(400).send(fail('bad request'));
    target.password = password;
    // An odd status: the change is made, then the handler fails to build its answer.
    return reply.code(500).send({ status: 'fail', message: 'An error occurred!' });
  });
  app.get('/books/v1', async () => ({ Books: state.books.map((b) => ({ book_title: b.title, user: b.owner })) }));
  app.post('/books/v1', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send(fail('Invalid token.'));
    const { book_title, secret } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof book_title !== 'string' || typeof secret !== 'string') return reply.code(400).send(fail('book_title and secret required'));
    if (state.books.some((b) => b.title === book_title)) return reply.code(400).send(fail('Book already exists.'));
    state.books.push({ title: book_title, secret, owner: me.username });
    return { status: 'success', message: 'Book has been added.' };
  });
  app.get('/books/v1/:book_title', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send(fail('Invalid token.'));
    // Flaw: any member gets any book, secret included.
    const book = state.books.find((b) => b.title === (req.params as { book_title: string }).book_title);
    return book ? { book_title: book.title, owner: book.owner, secret: book.secret } : reply.code(404).send(fail('Book not found!'));
  });
  const login = (username: string, password: string) => ({ login: { path: '/users/v1/login', json: { username, password }, token: 'body.auth_token' } });
  const identities = {
    version: 1,
    identities: { alice: { ...login('alice', passwords.alice), canaries: [canaries.alice] }, bob: { ...login('bob', passwords.bob), canaries: [canaries.bob] } },
    publicFields: ['username'],
  };
  const api = await serve(app, identities, () => [...state.accounts.map((a) => a.password), ...sessions.keys()]);
  return { ...api, resets: () => resets };
}
