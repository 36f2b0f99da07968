/**
 * Shared pieces of the deliberately vulnerable APIs the auditor is tested against: the cast of
 * members with their private data and canaries, an in-memory note store, sound note/profile/admin
 * routes with explicit switches for the one flaw an app carries, login throttling, OpenAPI
 * building blocks and a start helper that always listens on 127.0.0.1.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

// ---------------------------------------------------------------------------------------------
// People and canaries

export interface Member {
  id: string;
  username: string;
  displayName: string;
  email: string;
  birthday: string;
  role: 'member' | 'admin';
  bio: string;
  password: string;
  /** A static credential (bearer token, API key or session cookie), per app as needed. */
  token: string;
  suspended: boolean;
  /** Anything else a flawed update merged in. */
  extra: Record<string, unknown>;
}

export const canaries = {
  alice: 'CANARY-ALICE-5e1d0b',
  bob: 'CANARY-BOB-9c4a77',
} as const;

export interface Cast {
  alice: Member;
  bob: Member;
  root: Member;
  all: Member[];
}

/** A fresh cast per app: apps mutate their members. Tokens are random so no two apps share one. */
export function cast(): Cast {
  const member = (fields: Pick<Member, 'id' | 'username' | 'displayName' | 'email' | 'birthday' | 'role' | 'bio'>): Member => ({
    ...fields,
    password: `pw-${fields.username}-${randomBytes(6).toString('hex')}`,
    token: `tok-${fields.username}-${randomBytes(12).toString('hex')}`,
    suspended: false,
    extra: {},
  });
  const alice = member({
    id: '0b9d6f1e-2c4a-4e1b-9a57-1f0c3d2e4a11',
    username: 'alice',
    displayName: 'Alice A.',
    email: 'alice@example.org',
    birthday: '1990-01-02',
    role: 'member',
    bio: `Training for a half marathon ${canaries.alice}`,
  });
  const bob = member({
    id: '5c3e8a20-7d1f-4b6e-8c2a-93e4f0a1b722',
    username: 'bob',
    displayName: 'Bob B.',
    email: 'bob@example.org',
    birthday: '1985-05-06',
    role: 'member',
    bio: `Cyclist, mostly indoors ${canaries.bob}`,
  });
  const root = member({
    id: 'a7f2c9d4-1e8b-4f3a-b6d5-0c9e2f7a8b33',
    username: 'root',
    displayName: 'Root',
    email: 'root@example.org',
    birthday: '1970-07-08',
    role: 'admin',
    bio: 'Operator',
  });
  return { alice, bob, root, all: [alice, bob, root] };
}

/** What a member sees of themselves. */
export function profile(m: Member): Record<string, unknown> {
  return { id: m.id, username: m.username, displayName: m.displayName, email: m.email, birthday: m.birthday, bio: m.bio, role: m.role, ...m.extra };
}

/** What an administrator's user list shows: no personal data, so only the access decision matters. */
export function userSummary(m: Member): Record<string, unknown> {
  return { id: m.id, username: m.username, role: m.role, suspended: m.suspended };
}

// ---------------------------------------------------------------------------------------------
// Notes

export interface Note {
  id: string;
  ownerId: string;
  title: string;
  body: string;
  pinned: boolean;
  createdAt: string;
}

export class NoteStore {
  readonly notes = new Map<string, Note>();

  /** Three private notes per member, each carrying the member's canary in its body. */
  constructor(people: Cast) {
    const seed: [Member, string][] = [
      [people.alice, canaries.alice],
      [people.bob, canaries.bob],
    ];
    for (const [owner, canary] of seed) {
      for (const [index, title] of ['Doctor appointment', 'Gate code', 'Training plan'].entries()) {
        this.create(owner, { title, body: `${title} for ${owner.username}: ${canary}-${index}`, pinned: false });
      }
    }
  }

  create(owner: Member, input: { title: string; body: string; pinned: boolean }): Note {
    const note: Note = { id: randomUUID(), ownerId: owner.id, ...input, createdAt: new Date().toISOString() };
    this.notes.set(note.id, note);
    return note;
  }

  ownedBy(owner: Member): Note[] {
    return [...this.notes.values()].filter((n) => n.ownerId === owner.id);
  }
}

export function noteView(n: Note): Record<string, unknown> {
  return { id: n.id, title: n.title, body: n.body, pinned: n.pinned, createdAt: n.createdAt };
}

// ---------------------------------------------------------------------------------------------
// Authentication and denials

export type Authenticate = (req: FastifyRequest) => Member | undefined;

export function bearerAuth(people: Cast): Authenticate {
  return (req) => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return match ? people.all.find((m) => m.token === match[1]) : undefined;
  };
}

export function headerAuth(people: Cast, header: string): Authenticate {
  return (req) => {
    const value = req.headers[header.toLowerCase()];
    return typeof value === 'string' ? people.all.find((m) => m.token === value) : undefined;
  };
}

export function cookieValue(req: FastifyRequest, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = pair.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export function cookieAuth(people: Cast, cookie: string): Authenticate {
  return (req) => {
    const value = cookieValue(req, cookie);
    return value === undefined ? undefined : people.all.find((m) => m.token === value);
  };
}

/** Session tokens issued by a login route. */
export class Sessions {
  private readonly tokens = new Map<string, Member>();

  issue(m: Member): string {
    const token = `sess-${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, m);
    return token;
  }

  /** Every token handed out, for the test's "no real token in a finding" assertion. */
  issued(): string[] {
    return [...this.tokens.keys()];
  }

  lookup(token: string | undefined): Member | undefined {
    return token === undefined ? undefined : this.tokens.get(token);
  }
}

export type DenyReason = 'unauthenticated' | 'forbidden' | 'not-found' | 'invalid';

/** How an app says no. The default is plain HTTP; the deny-200 app overrides it. */
export type Deny = (reply: FastifyReply, reason: DenyReason) => FastifyReply;

export const httpDeny: Deny = (reply, reason) => {
  switch (reason) {
    case 'unauthenticated':
      return reply.code(401).send({ error: 'login required' });
    case 'forbidden':
      return reply.code(403).send({ error: 'forbidden' });
    case 'not-found':
      return reply.code(404).send({ error: 'not found' });
    case 'invalid':
      return reply.code(400).send({ error: 'invalid request body' });
  }
};

/** Per-account lockout: after `limit` consecutive failures, 429 with Retry-After for `seconds`. */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly limit = 5,
    private readonly seconds = 60,
  ) {}

  /** Seconds to wait, or undefined when the account may try. */
  blocked(account: string): number | undefined {
    const entry = this.failures.get(account);
    if (!entry || entry.lockedUntil <= Date.now()) return undefined;
    return Math.ceil((entry.lockedUntil - Date.now()) / 1000);
  }

  failed(account: string): void {
    const entry = this.failures.get(account) ?? { count: 0, lockedUntil: 0 };
    entry.count += 1;
    if (entry.count >= this.limit) {
      entry.count = 0;
      entry.lockedUntil = Date.now() + this.seconds * 1000;
    }
    this.failures.set(account, entry);
  }

  succeeded(account: string): void {
    this.failures.delete(account);
  }
}

export interface LoginOptions {
  people: Cast;
  sessions: Sessions;
  /** Undefined only in the login-throttling app, whose flaw is its absence. */
  throttle: LoginThrottle | undefined;
  /** Where the session token goes: the JSON body, a response header or a cookie. */
  deliver: { kind: 'body' } | { kind: 'header'; name: string } | { kind: 'cookie'; name: string };
}

export function registerLogin(app: FastifyInstance, options: LoginOptions): void {
  app.post('/auth/login', async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | undefined;
    if (typeof body?.username !== 'string' || typeof body.password !== 'string') return reply.code(400).send({ error: 'username and password required' });
    const account = body.username.toLowerCase();
    const wait = options.throttle?.blocked(account);
    if (wait !== undefined) return reply.code(429).header('retry-after', String(wait)).send({ error: 'too many failed logins' });
    const member = options.people.all.find((m) => m.username === account && m.password === body.password);
    if (!member) {
      options.throttle?.failed(account);
      return reply.code(401).send({ error: 'bad credentials' });
    }
    options.throttle?.succeeded(account);
    const token = options.sessions.issue(member);
    const deliver = options.deliver;
    if (deliver.kind === 'header') return reply.header(deliver.name, token).send({ ok: true, username: member.username });
    if (deliver.kind === 'cookie') return reply.header('set-cookie', `${deliver.name}=${token}; Path=/; HttpOnly; SameSite=Strict`).send({ ok: true, username: member.username });
    return reply.send({ token });
  });
}

// ---------------------------------------------------------------------------------------------
// Routes shared by most apps, sound unless a flaw switch says otherwise

type Body = Record<string, unknown>;

function bodyOf(req: FastifyRequest): Body | undefined {
  const body = req.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Body) : undefined;
}

function validString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

export interface MeOptions {
  auth: Authenticate;
  deny?: Deny;
  /** PATCH /me: sound (only displayName and bio) or the mass-assignment flaw (merges every property). */
  patch?: 'sound' | 'FLAW-merges-everything';
}

export function registerMe(app: FastifyInstance, options: MeOptions): void {
  const deny = options.deny ?? httpDeny;
  app.get('/me', async (req, reply) => {
    const me = options.auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    return reply.send(profile(me));
  });
  if (options.patch === undefined) return;
  app.patch('/me', async (req, reply) => {
    const me = options.auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    const body = bodyOf(req) ?? {};
    if (body.displayName !== undefined && !validString(body.displayName, 50)) return deny(reply, 'invalid');
    if (body.bio !== undefined && typeof body.bio !== 'string') return deny(reply, 'invalid');
    if (typeof body.displayName === 'string') me.displayName = body.displayName;
    if (typeof body.bio === 'string') me.bio = body.bio.slice(0, 500);
    if (options.patch === 'FLAW-merges-everything') {
      // The flaw: every other property is merged into the stored profile, role included.
      for (const [key, value] of Object.entries(body)) {
        if (key === 'role' && (value === 'admin' || value === 'member')) me.role = value;
        else if (!['displayName', 'bio', 'id', 'username', 'email', 'birthday'].includes(key)) me.extra[key] = value;
      }
    }
    return reply.send(profile(me));
  });
}

export interface NotesOptions {
  auth: Authenticate;
  store: NoteStore;
  deny?: Deny;
  create?: boolean;
  /** PATCH /notes/{noteId}, answering the updated note (200) or nothing (204). */
  patch?: 'object' | 'empty';
  delete?: boolean;
  /** What a member gets reading someone else's note: a denial, or (the flaw) the note. */
  foreignRead?: 'deny' | 'FLAW-serves';
  /** What a member gets writing someone else's note: a denial, a 204 that changes nothing, or (the flaw) the change. */
  foreignWrite?: 'deny' | 'noop-204' | 'FLAW-applies';
}

export function registerNotes(app: FastifyInstance, options: NotesOptions): void {
  const deny = options.deny ?? httpDeny;
  const { store, auth } = options;
  app.get('/notes', async (req, reply) => {
    const me = auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    return reply.send({ items: store.ownedBy(me).map(noteView) });
  });
  app.get<{ Params: { noteId: string } }>('/notes/:noteId', async (req, reply) => {
    const me = auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    const note = store.notes.get(req.params.noteId);
    if (!note) return deny(reply, 'not-found');
    if (note.ownerId !== me.id && options.foreignRead !== 'FLAW-serves') return deny(reply, 'not-found');
    return reply.send(noteView(note));
  });
  if (options.create) {
    app.post('/notes', async (req, reply) => {
      const me = auth(req);
      if (!me) return deny(reply, 'unauthenticated');
      const body = bodyOf(req);
      if (!body || !validString(body.title, 200) || typeof body.body !== 'string' || (body.pinned !== undefined && typeof body.pinned !== 'boolean')) {
        return deny(reply, 'invalid');
      }
      // Only the declared properties are read: an ownerId, role or anything else is ignored.
      const note = store.create(me, { title: body.title, body: body.body.slice(0, 5000), pinned: body.pinned === true });
      return reply.code(201).send(noteView(note));
    });
  }
  /** The note a write may change, or undefined after answering. */
  const writable = (req: FastifyRequest<{ Params: { noteId: string } }>, reply: FastifyReply): { note: Note } | { done: FastifyReply } => {
    const me = auth(req);
    if (!me) return { done: deny(reply, 'unauthenticated') };
    const note = store.notes.get(req.params.noteId);
    if (!note) return { done: deny(reply, 'not-found') };
    if (note.ownerId === me.id || options.foreignWrite === 'FLAW-applies') return { note };
    if (options.foreignWrite === 'noop-204') return { done: reply.code(204).send() };
    return { done: deny(reply, 'not-found') };
  };
  if (options.patch !== undefined) {
    app.patch<{ Params: { noteId: string } }>('/notes/:noteId', async (req, reply) => {
      const found = writable(req, reply);
      if ('done' in found) return found.done;
      const body = bodyOf(req) ?? {};
      if ((body.title !== undefined && !validString(body.title, 200)) || (body.body !== undefined && typeof body.body !== 'string') || (body.pinned !== undefined && typeof body.pinned !== 'boolean')) {
        return deny(reply, 'invalid');
      }
      const note = found.note;
      if (typeof body.title === 'string') note.title = body.title;
      if (typeof body.body === 'string') note.body = body.body.slice(0, 5000);
      if (typeof body.pinned === 'boolean') note.pinned = body.pinned;
      return options.patch === 'empty' ? reply.code(204).send() : reply.send(noteView(note));
    });
  }
  if (options.delete) {
    app.delete<{ Params: { noteId: string } }>('/notes/:noteId', async (req, reply) => {
      const found = writable(req, reply);
      if ('done' in found) return found.done;
      store.notes.delete(found.note.id);
      return reply.code(204).send();
    });
  }
}

export interface AdminOptions {
  auth: Authenticate;
  people: Cast;
  deny?: Deny;
  /** GET /admin/users for a non-admin: a denial, or (the flaw) the list. */
  memberList?: 'deny' | 'FLAW-serves';
  /** POST /admin/users/{userId}/suspend for a non-admin: a denial, a 204 that changes nothing, or (the flaw) the suspension. */
  memberSuspend?: 'deny' | 'noop-204' | 'FLAW-applies';
}

/** The administrative surface: a user list, one user's full record, and a suspend action (204). */
export function registerAdmin(app: FastifyInstance, options: AdminOptions): void {
  const deny = options.deny ?? httpDeny;
  const { auth, people } = options;
  app.get('/admin/users', async (req, reply) => {
    const me = auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    if (me.role !== 'admin' && options.memberList !== 'FLAW-serves') return deny(reply, 'forbidden');
    return reply.send({ items: people.all.map(userSummary) });
  });
  app.get<{ Params: { userId: string } }>('/admin/users/:userId', async (req, reply) => {
    const me = auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    if (me.role !== 'admin') return deny(reply, 'forbidden');
    const user = people.all.find((m) => m.id === req.params.userId);
    if (!user) return deny(reply, 'not-found');
    return reply.send({ ...profile(user), suspended: user.suspended });
  });
  app.post<{ Params: { userId: string } }>('/admin/users/:userId/suspend', async (req, reply) => {
    const me = auth(req);
    if (!me) return deny(reply, 'unauthenticated');
    if (me.role !== 'admin') {
      if (options.memberSuspend === 'noop-204') return reply.code(204).send();
      if (options.memberSuspend !== 'FLAW-applies') return deny(reply, 'forbidden');
    }
    const user = people.all.find((m) => m.id === req.params.userId);
    if (!user) return deny(reply, 'not-found');
    // A flag only: it takes effect in billing and class booking, not on sessions.
    user.suspended = true;
    return reply.code(204).send();
  });
}

// ---------------------------------------------------------------------------------------------
// OpenAPI building blocks

export type Doc = Record<string, unknown>;

export const schemes = {
  bearer: { bearer: { type: 'http', scheme: 'bearer' } },
  apiKey: (name: string) => ({ apiKey: { type: 'apiKey', in: 'header', name } }),
  cookie: (name: string) => ({ session: { type: 'apiKey', in: 'cookie', name } }),
};

export function openapi(title: string, version: '3.0.3' | '3.1.0', securitySchemes: Record<string, unknown>, paths: Record<string, Doc>): Doc {
  const scheme = Object.keys(securitySchemes)[0] ?? 'bearer';
  return {
    openapi: version,
    info: { title, version: '1.0.0' },
    components: { securitySchemes, schemas: { Error: errorSchema } },
    security: [{ [scheme]: [] }],
    paths,
  };
}

const errorSchema = { type: 'object', properties: { error: { type: 'string' } } };

export function pathParam(name: string, format?: string): Doc {
  return { name, in: 'path', required: true, schema: format ? { type: 'string', format } : { type: 'string' } };
}

export function jsonBody(schema: Doc, required = true): Doc {
  return { required, content: { 'application/json': { schema } } };
}

export function ok(description: string, schema?: Doc, status = '200'): Doc {
  const denied = { description: 'denied', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    [status]: schema ? { description, content: { 'application/json': { schema } } } : { description },
    401: { description: 'authentication required' },
    403: denied,
    404: { description: 'not found' },
  };
}

export const userSchema: Doc = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    username: { type: 'string' },
    displayName: { type: 'string' },
    email: { type: 'string', format: 'email' },
    birthday: { type: 'string', format: 'date' },
    bio: { type: 'string' },
    role: { type: 'string', enum: ['member', 'admin'] },
  },
};

export const noteSchema: Doc = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    title: { type: 'string' },
    body: { type: 'string' },
    pinned: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

export const noteInput: Doc = {
  type: 'object',
  required: ['title', 'body'],
  properties: { title: { type: 'string', minLength: 1, maxLength: 200 }, body: { type: 'string', maxLength: 5000 }, pinned: { type: 'boolean' } },
};

export const notePatch: Doc = {
  type: 'object',
  properties: { title: { type: 'string', minLength: 1, maxLength: 200 }, body: { type: 'string', maxLength: 5000 }, pinned: { type: 'boolean' } },
};

export function mePaths(patch: boolean): Record<string, Doc> {
  const get = { operationId: 'getMe', summary: 'The caller\'s own profile', responses: ok('profile', userSchema) };
  if (!patch) return { '/me': { get } };
  const patchSchema = { type: 'object', properties: { displayName: { type: 'string', minLength: 1, maxLength: 50 }, bio: { type: 'string', maxLength: 500 } } };
  return { '/me': { get, patch: { operationId: 'updateMe', requestBody: jsonBody(patchSchema), responses: ok('profile', userSchema) } } };
}

export function notesPaths(options: { create?: boolean; patch?: 'object' | 'empty'; delete?: boolean }): Record<string, Doc> {
  const list: Doc = { get: { operationId: 'listNotes', responses: ok('the caller\'s notes', { type: 'object', properties: { items: { type: 'array', items: noteSchema } } }) } };
  if (options.create) list.post = { operationId: 'createNote', requestBody: jsonBody(noteInput), responses: ok('created', noteSchema, '201') };
  const one: Doc = { parameters: [pathParam('noteId', 'uuid')], get: { operationId: 'getNote', responses: ok('note', noteSchema) } };
  if (options.patch === 'object') one.patch = { operationId: 'updateNote', requestBody: jsonBody(notePatch), responses: ok('updated', noteSchema) };
  if (options.patch === 'empty') one.patch = { operationId: 'updateNote', requestBody: jsonBody(notePatch), responses: ok('updated', undefined, '204') };
  if (options.delete) one.delete = { operationId: 'deleteNote', responses: ok('deleted', undefined, '204') };
  return { '/notes': list, '/notes/{noteId}': one };
}

export function adminPaths(): Record<string, Doc> {
  const summary = { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, username: { type: 'string' }, role: { type: 'string' }, suspended: { type: 'boolean' } } };
  return {
    '/admin/users': { get: { operationId: 'adminListUsers', tags: ['admin'], responses: ok('all users', { type: 'object', properties: { items: { type: 'array', items: summary } } }) } },
    '/admin/users/{userId}': {
      get: { operationId: 'adminGetUser', tags: ['admin'], parameters: [pathParam('userId', 'uuid')], responses: ok('one user', { ...userSchema, properties: { ...(userSchema.properties as Doc), suspended: { type: 'boolean' } } }) },
    },
    '/admin/users/{userId}/suspend': {
      post: { operationId: 'adminSuspendUser', tags: ['admin'], parameters: [pathParam('userId', 'uuid')], responses: ok('suspended', undefined, '204') },
    },
  };
}

export function loginPath(token: 'body' | 'header' | 'cookie'): Record<string, Doc> {
  const input = { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string', format: 'password' } } };
  const answer = token === 'body' ? { type: 'object', properties: { token: { type: 'string' } } } : { type: 'object', properties: { ok: { type: 'boolean' }, username: { type: 'string' } } };
  return {
    '/auth/login': {
      post: {
        operationId: 'login',
        security: [],
        requestBody: jsonBody(input),
        responses: { 200: { description: 'a session', content: { 'application/json': { schema: answer } } }, 401: { description: 'bad credentials' }, 429: { description: 'too many failed logins' } },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Running an app

/** The identities file the test hands to the auditor, as a plain object. */
export type IdentitiesDoc = Record<string, unknown>;

export interface VulnerableApi {
  target: string;
  identities: IdentitiesDoc;
  /** Credentials that must never show up in a finding (tokens, keys, passwords, sessions issued so far). */
  secrets(): string[];
  close(): Promise<void>;
}

export function newApp(doc: Doc): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/openapi.json', async () => doc);
  return app;
}

export async function serve(app: FastifyInstance, identities: IdentitiesDoc, secrets: () => string[]): Promise<VulnerableApi> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { target: `http://127.0.0.1:${port}`, identities, secrets, close: () => app.close() };
}

export const publicFields = ['id', 'username', 'displayName'];

/** Identities for alice and bob (with their canaries) and optionally root, credentials from `carry`. */
export function identitiesFor(people: Cast, carry: (m: Member) => Record<string, unknown>, withAdmin: boolean): IdentitiesDoc {
  const identities: Record<string, unknown> = {
    alice: { ...carry(people.alice), canaries: [canaries.alice, people.alice.email] },
    bob: { ...carry(people.bob), canaries: [canaries.bob, people.bob.email] },
  };
  if (withAdmin) identities.root = { role: 'admin', ...carry(people.root) };
  return { version: 1, identities, publicFields };
}

export function secretsOf(people: Cast): string[] {
  return people.all.flatMap((m) => [m.token, m.password]);
}

export async function writeIdentities(doc: IdentitiesDoc): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vulnerable-api-'));
  const file = path.join(dir, 'identities.json');
  await writeFile(file, JSON.stringify(doc));
  return file;
}
