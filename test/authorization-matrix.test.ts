/**
 * The authorization matrix: every operation in the generated OpenAPI document × every persona ×
 * the subject's profile public and private, with the expected outcome written down as data.
 * Every response is scanned for canary values planted in the subject's private fields.
 *
 * An operation in the document without a row fails the suite, so no new route can skip it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { allScopes, type Scope } from '../src/authz/scopes.js';
import type { UserViewer } from '../src/authz/viewer.js';
import { type DataLayer, openDataLayer } from '../src/data/data-layer.js';
import { buildApp } from '../src/http/app.js';
import { type DialectName, type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, createClient, testPassword } from './support/http.js';

const personas = ['anonymous', 'stranger', 'pending', 'follower', 'blocked', 'owner', 'admin', 'scopeless'] as const;
type Persona = (typeof personas)[number];
type Privacy = 'public' | 'private';

/**
 * Expected outcome per persona, in the order of `personas`:
 * anonymous, stranger, pending follower, approved follower, blocked (by the subject), owner
 * (the subject), admin, and a personal access token of the owner that lacks the operation's
 * scopes (all scopes, for operations that need a login session).
 * "200 card" / "200 profile" also check which view of the subject came back.
 */
type Outcome = '200' | '200 card' | '200 profile' | '201' | '204' | '400' | '401' | '403 scope' | '403 private' | '403 forbidden' | '404';
type Row = Record<Privacy, readonly Outcome[]>;

const same = (outcomes: readonly Outcome[]): Row => ({ public: outcomes, private: outcomes });
const everyone = (outcome: Outcome) => same(personas.map(() => outcome));
const ownData = (outcome: Outcome) => same(['401', outcome, outcome, outcome, outcome, outcome, outcome, '403 scope']);
const ownerOnly = (outcome: Outcome) => same(['401', '404', '404', '404', '404', outcome, '404', '403 scope']);
const adminOnly = (outcome: Outcome) => same(['401', '403 forbidden', '403 forbidden', '403 forbidden', '403 forbidden', '403 forbidden', outcome, '403 scope']);

const viewOfSubject: Row = {
  public: ['401', '200 profile', '200 profile', '200 profile', '404', '200 profile', '200 profile', '403 scope'],
  private: ['401', '200 card', '200 card', '200 profile', '404', '200 profile', '200 card', '403 scope'],
};
const listsOfSubject: Row = {
  public: ['401', '200', '200', '200', '404', '200', '200', '403 scope'],
  private: ['401', '403 private', '403 private', '200', '404', '200', '403 private', '403 scope'],
};

const expectations: Record<string, Row> = {
  // Public operations: a valid token of any kind is fine, and anonymous callers are welcome.
  register: everyone('201'),
  login: everyone('200'),
  healthz: everyone('200'),
  readyz: everyone('200'),
  securityTxt: everyone('200'),
  // The caller's own account.
  logout: same(['401', '204', '204', '204', '204', '204', '204', '204']),
  getMe: ownData('200'),
  updateMe: ownData('200'),
  getSecurityActivity: ownData('200'),
  listFollowRequests: ownData('200'),
  listBlocks: ownData('200'),
  searchUsers: ownData('200'),
  deleteMe: ownData('204'),
  exportMe: ownData('200'),
  changePassword: ownData('204'),
  listSessions: ownData('200'),
  createToken: ownData('201'),
  listTokens: ownData('200'),
  // The subject's own objects, addressed by id: everyone else is told they do not exist (BOLA).
  revokeSession: ownerOnly('204'),
  revokeToken: ownerOnly('204'),
  approveFollowRequest: ownerOnly('204'),
  denyFollowRequest: ownerOnly('204'),
  removeFollower: ownerOnly('204'),
  // The subject as others see them.
  getUser: viewOfSubject,
  getUserByUsername: viewOfSubject,
  listFollowers: listsOfSubject,
  listFollowing: listsOfSubject,
  followUser: same(['401', '200', '200', '200', '404', '400', '200', '403 scope']),
  unfollowUser: same(['401', '204', '204', '204', '404', '400', '204', '403 scope']),
  blockUser: same(['401', '204', '204', '204', '404', '400', '204', '403 scope']),
  unblockUser: same(['401', '404', '404', '404', '404', '404', '404', '403 scope']),
  // Workouts: the target is the subject's followers-only workout.
  createWorkout: ownData('201'),
  listMyWorkouts: ownData('200'),
  getWorkout: same(['401', '404', '404', '200', '404', '200', '404', '403 scope']),
  updateWorkout: same(['401', '404', '404', '403 forbidden', '404', '200', '404', '403 scope']),
  deleteWorkout: same(['401', '404', '404', '403 forbidden', '404', '204', '404', '403 scope']),
  listUserWorkouts: listsOfSubject,
  // Classes: the catalog is public; only the class's instructor (not a persona here) and admins write.
  listClasses: everyone('200'),
  getClass: everyone('200'),
  createClass: adminOnly('201'),
  updateClass: adminOnly('200'),
  deleteClass: adminOnly('204'),
  getLeaderboard: ownData('200'),
  // Administration.
  adminGetUser: adminOnly('200'),
  adminSuspendUser: adminOnly('204'),
  adminUnsuspendUser: adminOnly('204'),
  adminListSecurityEvents: adminOnly('200'),
};

interface Operation {
  operationId: string;
  method: string;
  path: string;
  scopes: Scope[];
  sessionOnly: boolean;
}

/** The operations of the generated document (the same for every dialect). */
async function loadOperations(): Promise<Operation[]> {
  const data = openDataLayer('sqlite::memory:');
  await data.migrate();
  const app = await buildApp({ data });
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  await app.close();
  await data.close();
  const document = response.json() as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        path,
        scopes: (operation['x-paceline-scopes'] as Scope[] | undefined) ?? [],
        sessionOnly: operation['x-paceline-session-only'] === true,
      });
    }
  }
  return operations;
}

const operations = await loadOperations();

interface Canaries {
  /** Only the owner (and an admin through the admin endpoint) may ever see these. */
  self: string[];
  /** The profile view's private-profile fields: also approved followers, or anyone for a public profile. */
  profile: string[];
  /** Title and calories of the subject's followers-only workout: the owner and approved followers. */
  followersWorkout: string[];
  /** Title and calories of the subject's only-me workout: the owner alone. */
  onlyMeWorkout: string[];
}

interface World {
  subject: { id: string; username: string; secret: string; viewer: UserViewer; otherSessionId: string; tokenId: string; workoutId: string };
  classId: string;
  members: Record<Exclude<Persona, 'anonymous' | 'scopeless' | 'owner'>, { id: string; secret: string }>;
  canaries: Canaries;
  scopelessToken(operation: Operation): Promise<string>;
}

/** A session issued as a login would issue it, with the member's current security stamp. */
async function startSession(data: DataLayer, userId: string, userAgent: string) {
  const member = await data.accounts.findForLogin((await data.accounts.card(userId))?.username ?? '');
  const session = member ? await data.accounts.startSession(member, userAgent, '127.0.0.1') : null;
  if (!session) throw new Error('session was not issued');
  return session;
}

/**
 * A fresh world per case, built through the data layer (fast: one shared password hash, sessions
 * issued directly). The subject starts private so the pending request stays pending when the
 * subject then turns public, as the contract requires.
 */
async function buildWorld(data: DataLayer, passwordHash: string, privacy: Privacy): Promise<World> {
  const tag = randomBytes(4).toString('hex');
  const make = async (name: string, role: 'member' | 'admin' | 'instructor' = 'member', email = `${name}_${tag}@example.test`) => {
    const username = `${name}_${tag}`;
    const id = await data.accounts.register({ username, email, passwordHash, role });
    const session = await startSession(data, id, 'matrix');
    const viewer = await data.accounts.resolveCredential(session.secret);
    if (!viewer) throw new Error('session did not resolve');
    return { id, username, secret: session.secret, sessionId: session.id, viewer };
  };
  const canaries: Canaries = {
    self: [`cnry${tag}x@example.test`, '1977-03-14', '87.65'],
    profile: [`CANARYBIO${tag}`, `CANARYLOC${tag}`],
    followersWorkout: [`CANARYFOLLOWERSWORKOUT${tag}`, '4321.5'],
    onlyMeWorkout: [`CANARYONLYMEWORKOUT${tag}`, '8765.5'],
  };
  const owner = await make('owner', 'member', canaries.self[0]);
  const [stranger, pending, follower, blocked, admin, instructor] = await Promise.all([
    make('stranger'),
    make('pending'),
    make('follower'),
    make('blocked'),
    make('admin', 'admin'),
    make('coach', 'instructor'),
  ]);
  const as = (viewer: UserViewer) => data.forViewer(viewer);
  await as(pending.viewer).follows.follow(owner.id);
  await as(follower.viewer).follows.follow(owner.id);
  await as(owner.viewer).follows.approve(follower.id);
  await as(owner.viewer).blocks.block(blocked.id);
  await as(owner.viewer).me.update({
    bio: canaries.profile[0],
    location: canaries.profile[1],
    birthday: canaries.self[1],
    weightKg: Number(canaries.self[2]),
    privacy: { profile: privacy },
  });
  const fitnessClass = await as(instructor.viewer).classes.create({ title: 'Hill climb', discipline: 'cycling', durationSeconds: 1800, difficulty: 6, airedAt: '2026-11-01T07:00:00.000Z' });
  const ride = { classId: fitnessClass.id, discipline: 'cycling' as const, startedAt: '2026-11-02T07:00:00.000Z', durationSeconds: 1800 };
  await as(owner.viewer).workouts.create({ ...ride, title: 'An open ride', totalOutputKj: 300, visibility: 'public' });
  const followersOnly = await as(owner.viewer).workouts.create({
    ...ride,
    title: canaries.followersWorkout[0] as string,
    calories: Number(canaries.followersWorkout[1]),
    totalOutputKj: 250,
    visibility: 'followers',
  });
  await as(owner.viewer).workouts.create({ ...ride, title: canaries.onlyMeWorkout[0] as string, calories: Number(canaries.onlyMeWorkout[1]), totalOutputKj: 400, visibility: 'only_me' });
  const otherSession = await startSession(data, owner.id, 'second device');
  const token = await as(owner.viewer).credentials.createToken({ name: 'script', scopes: ['profile:read'], expiresAt: new Date(Date.now() + 86_400_000) });
  return {
    subject: { id: owner.id, username: owner.username, secret: owner.secret, viewer: owner.viewer, otherSessionId: otherSession.id, tokenId: token.id, workoutId: followersOnly.id },
    classId: fitnessClass.id,
    members: { stranger, pending, follower, blocked, admin },
    canaries,
    async scopelessToken(operation) {
      const needed = operation.sessionOnly ? [] : operation.scopes;
      const scopes = allScopes.filter((scope) => !needed.includes(scope));
      const issued = await as(owner.viewer).credentials.createToken({ name: 'lacks the scope', scopes, expiresAt: new Date(Date.now() + 86_400_000) });
      return issued.secret;
    },
  };
}

/** Concrete path parameters and bodies: the object each operation is aimed at is the subject's. */
function requestFor(operation: Operation, world: World) {
  const params: Record<string, string> = {
    userId: world.subject.id,
    username: world.subject.username,
    sessionId: world.subject.otherSessionId,
    tokenId: world.subject.tokenId,
    workoutId: world.subject.workoutId,
    classId: world.classId,
  };
  if (operation.operationId === 'approveFollowRequest' || operation.operationId === 'denyFollowRequest') params.userId = world.members.pending.id;
  if (operation.operationId === 'removeFollower') params.userId = world.members.follower.id;
  let url = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `missing-${name}`);
  if (operation.operationId === 'searchUsers') url += `?q=${world.subject.username}`;
  const fresh = randomBytes(4).toString('hex');
  const bodies: Record<string, unknown> = {
    register: { username: `new_${fresh}`, email: `new_${fresh}@example.test`, password: testPassword },
    login: { login: world.subject.username, password: testPassword },
    updateMe: { bio: 'an updated bio' },
    deleteMe: { password: testPassword },
    changePassword: { currentPassword: testPassword, newPassword: 'another long passphrase 43' },
    createToken: { name: 'new token', scopes: ['profile:read'] },
    createWorkout: { discipline: 'running', title: 'A new run', startedAt: '2026-11-03T07:00:00.000Z', durationSeconds: 1200, distanceKm: 4.2 },
    updateWorkout: { visibility: 'public' },
    createClass: { title: 'New class', discipline: 'rowing', durationSeconds: 1200, difficulty: 4, airedAt: '2026-11-04T07:00:00.000Z' },
    updateClass: { title: 'Renamed class' },
  };
  const headers: Record<string, string> = operation.path.includes('/admin/') ? { 'x-access-reason': 'authorization matrix check' } : {};
  return { url, body: bodies[operation.operationId], headers };
}

function allowedCanaries(operationId: string, persona: Persona, privacy: Privacy, canaries: Canaries): Set<string> {
  const allowed = new Set<string>();
  const allow = (values: string[]) => values.forEach((value) => allowed.add(value));
  const selfView = (persona === 'owner' && ['getMe', 'updateMe', 'exportMe'].includes(operationId)) || (persona === 'admin' && operationId === 'adminGetUser');
  if (selfView) allow([...canaries.self, ...canaries.profile]);
  const seesProfile = persona === 'owner' || persona === 'follower' || (privacy === 'public' && ['stranger', 'pending', 'admin'].includes(persona));
  if (['getUser', 'getUserByUsername'].includes(operationId) && seesProfile) allow(canaries.profile);
  // The owner sees all their workouts; an approved follower sees followers-only ones.
  if (persona === 'owner' && ['listMyWorkouts', 'listUserWorkouts', 'exportMe'].includes(operationId)) allow([...canaries.followersWorkout, ...canaries.onlyMeWorkout]);
  if (persona === 'owner' && ['getWorkout', 'updateWorkout'].includes(operationId)) allow(canaries.followersWorkout);
  if (persona === 'follower' && ['getWorkout', 'listUserWorkouts'].includes(operationId)) allow(canaries.followersWorkout);
  return allowed;
}

/** Compares one response with its expected outcome; returns a description of each mismatch. */
function check(outcome: Outcome, status: number, body: string): string[] {
  const [expectedStatus, detail] = outcome.split(' ');
  const problems: string[] = [];
  if (String(status) !== expectedStatus) return [`expected ${outcome}, got ${status} ${body.slice(0, 160)}`];
  const json = body.length > 0 && body.startsWith('{') ? (JSON.parse(body) as Record<string, unknown>) : {};
  const codes: Record<string, string> = { scope: 'insufficient_scope', private: 'private_profile', forbidden: 'forbidden' };
  if (detail && codes[detail] && json.code !== codes[detail]) problems.push(`expected code ${codes[detail]}, got ${String(json.code)}`);
  if (detail === 'card' && Object.keys(json).sort().join() !== 'displayName,id,isPrivate,username') problems.push(`expected a card, got ${Object.keys(json).join()}`);
  if (detail === 'profile' && !('bio' in json && 'followerCount' in json)) problems.push(`expected a profile, got ${Object.keys(json).join()}`);
  return problems;
}

describe('the OpenAPI document and the matrix', () => {
  it('has a row for every documented operation, and no row for an undocumented one', () => {
    const documented = operations.map((operation) => operation.operationId).sort();
    expect(documented).toEqual(Object.keys(expectations).sort());
  });
});

describeEachDialect('authorization matrix', (dialect: DialectName) => {
  let database: TestDatabase;
  let client: Client;
  let passwordHash: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    client = await createClient(database.data);
    passwordHash = await hashPassword(testPassword);
  });
  afterAll(async () => {
    await client.app.close();
    await database.dispose();
  });

  for (const operation of operations) {
    for (const privacy of ['public', 'private'] as const) {
      it(`${operation.operationId} (${operation.method} ${operation.path}), subject ${privacy}`, async () => {
        const row = expectations[operation.operationId];
        if (!row) throw new Error(`no expectation row for ${operation.operationId}`);
        const failures: string[] = [];
        for (const [index, persona] of personas.entries()) {
          // A fresh world per persona: writes by one persona must not change the next one's case.
          const world = await buildWorld(database.data, passwordHash, privacy);
          const token =
            persona === 'anonymous'
              ? null
              : persona === 'owner'
                ? world.subject.secret
                : persona === 'scopeless'
                  ? await world.scopelessToken(operation)
                  : world.members[persona].secret;
          const { url, body, headers } = requestFor(operation, world);
          const response = await client.request(operation.method, url, { token, body, headers });
          const outcome = row[privacy][index] as Outcome;
          for (const problem of check(outcome, response.statusCode, response.body)) failures.push(`${persona}: ${problem}`);
          const allowed = allowedCanaries(operation.operationId, persona, privacy, world.canaries);
          const text = response.body + JSON.stringify(response.headers);
          for (const canary of Object.values(world.canaries).flat()) {
            if (text.includes(canary) && !allowed.has(canary)) failures.push(`${persona}: response leaks the canary ${canary}`);
          }
        }
        expect(failures).toEqual([]);
      });
    }
  }
});
