import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { allScopes } from '../src/authz/scopes.js';
import type { UserViewer } from '../src/authz/viewer.js';
import type { Role, WorkoutVisibility } from '../src/db/schema.js';
import type { LeaderboardEntry } from '../src/data/classes.js';
import type { DataLayer, ViewerData } from '../src/data/data-layer.js';
import type { Page, PageRequest } from '../src/data/pagination.js';
import type { ListOutcome, UserView } from '../src/data/users.js';
import type { PrivacySettings, UserCard } from '../src/data/views.js';
import type { Workout, WriteOutcome } from '../src/data/workouts.js';
import { AppError } from '../src/errors.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * Differential property test of the visibility rules. Random small worlds (members and
 * instructors, follows and requests, blocks, privacy settings, suspensions, classes, workouts and
 * their visibility, leaderboard opt-outs) are built through the repositories, so the writes obey
 * the same rules as in production; then every read each user can make of every other user (get,
 * followers, following, search), of every workout (get, member lists, own list) and of every
 * leaderboard is compared with a small in-memory model of the contract (API.md, "Views of a
 * user", "Users, privacy and follows", "Workouts" and "Classes and leaderboards").
 */

type Profile = 'public' | 'private';
type Edge = 'approved' | 'pending';
type Direction = 'followers' | 'following';
type Visibility = WorkoutVisibility;
type LeaderboardSetting = PrivacySettings['leaderboard'];

interface MemberSpec {
  username: string;
  displayName: string;
  profile: Profile;
  searchable: boolean;
  /** Set right after registration when present; otherwise the registration default applies. */
  defaultWorkoutVisibility?: Visibility;
}

/**
 * Member operands are indices into the world's users (instructors included); `by` is the user
 * acting. approve and deny name one of `by`'s pending requests (`request` modulo their number),
 * and unblock one of `by`'s blocks, since a random member would almost never be one. Likewise
 * workout operands: `workout` picks (modulo) one of `by`'s own live workouts for setVisibility
 * and removeWorkout, and one of the workouts `by` does not own (deleted ones too) for tamper;
 * `classChoice` picks a class modulo their number (null: no class).
 */
type Op =
  | { op: 'follow'; by: number; target: number }
  | { op: 'unfollow'; by: number; target: number }
  | { op: 'approve'; by: number; request: number }
  | { op: 'deny'; by: number; request: number }
  | { op: 'removeFollower'; by: number; follower: number }
  | { op: 'block'; by: number; target: number }
  | { op: 'unblock'; by: number; block: number }
  | {
      op: 'privacy';
      by: number;
      profile?: Profile;
      searchable?: boolean;
      leaderboard?: LeaderboardSetting;
      defaultWorkoutVisibility?: Visibility;
    }
  | { op: 'rename'; by: number; displayName: string }
  | { op: 'suspend'; target: number }
  | { op: 'unsuspend'; target: number }
  | { op: 'workout'; by: number; visibility?: Visibility; classChoice: number | null; output: number | null; startedAt: string }
  | { op: 'setVisibility'; by: number; workout: number; visibility: Visibility }
  | { op: 'removeWorkout'; by: number; workout: number }
  | { op: 'tamper'; by: number; workout: number; action: 'update' | 'remove' };

interface World {
  /** Users; the first `instructors` of them register with role 'instructor' and teach one class each. */
  members: MemberSpec[];
  instructors: number;
  ops: Op[];
  queries: string[];
}

// Small enough that most lists span several pages, so the keyset cursors are exercised too.
const pageSize = 2;
// Bigger than any world's class, so a leaderboard is always complete.
const leaderboardLimit = 100;

// --- generators -------------------------------------------------------------------------------

// A tiny alphabet, so usernames share prefixes and `_` sits where a LIKE wildcard would match.
const usernameArb = fc.string({ unit: fc.constantFrom('a', 'b', '_'), minLength: 3, maxLength: 5 });
// Mixed case (search lower-cases the key), and `%` and `_`, which must match only themselves.
const displayNameArb = fc.string({ unit: fc.constantFrom('a', 'B', '_', '%', ' ', 'É'), minLength: 1, maxLength: 5 });
const queryArb = fc.string({ unit: fc.constantFrom('a', 'A', 'b', '_', '%', ' ', 'é'), minLength: 1, maxLength: 3 });
const profileArb = fc.constantFrom<Profile>('public', 'private');
const visibilityArb = fc.constantFrom<Visibility>('public', 'followers', 'only_me');
const leaderboardArb = fc.constantFrom<LeaderboardSetting>('visible', 'hidden');
// Few outputs and start times, so leaderboards have ties on output, and on output and start.
const outputArb = fc.constantFrom<number | null>(null, 100, 150.5, 150.5, 200);
const startedAtArb = fc.constantFrom('2024-05-01T06:00:00.000Z', '2024-05-01T07:30:00.000Z', '2024-05-02T06:00:00.000Z');

const memberArb: fc.Arbitrary<MemberSpec> = fc.record(
  {
    username: usernameArb,
    displayName: displayNameArb,
    profile: profileArb,
    // Mostly searchable, or searches would rarely find anyone.
    searchable: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    defaultWorkoutVisibility: visibilityArb,
  },
  { requiredKeys: ['username', 'displayName', 'profile', 'searchable'] },
);

function opArb(n: number): fc.Arbitrary<Op> {
  const member = fc.nat(n - 1);
  // Two different members: following or blocking oneself is a validation error, not a rule.
  const pair = fc.tuple(member, fc.integer({ min: 1, max: n - 1 })).map(([by, offset]) => [by, (by + offset) % n] as const);
  return fc.oneof(
    // Follows dominate so that worlds have a real graph; approvals turn requests into follows.
    { arbitrary: pair.map(([by, target]): Op => ({ op: 'follow', by, target })), weight: 8 },
    { arbitrary: fc.record({ by: member, request: fc.nat() }).map((r): Op => ({ op: 'approve', ...r })), weight: 4 },
    { arbitrary: fc.record({ by: member, request: fc.nat() }).map((r): Op => ({ op: 'deny', ...r })), weight: 1 },
    { arbitrary: pair.map(([by, follower]): Op => ({ op: 'removeFollower', by, follower })), weight: 1 },
    { arbitrary: pair.map(([by, target]): Op => ({ op: 'unfollow', by, target })), weight: 1 },
    { arbitrary: pair.map(([by, target]): Op => ({ op: 'block', by, target })), weight: 1 },
    { arbitrary: fc.record({ by: member, block: fc.nat() }).map((r): Op => ({ op: 'unblock', ...r })), weight: 1 },
    {
      arbitrary: fc
        .record(
          { by: member, profile: profileArb, searchable: fc.boolean(), leaderboard: leaderboardArb, defaultWorkoutVisibility: visibilityArb },
          { requiredKeys: ['by'] },
        )
        .map((r): Op => ({ op: 'privacy', ...r })),
      weight: 3,
    },
    { arbitrary: fc.record({ by: member, displayName: displayNameArb }).map((r): Op => ({ op: 'rename', ...r })), weight: 1 },
    { arbitrary: member.map((target): Op => ({ op: 'suspend', target })), weight: 1 },
    { arbitrary: member.map((target): Op => ({ op: 'unsuspend', target })), weight: 1 },
    {
      arbitrary: fc
        .record(
          {
            by: member,
            // Omitted half the time: the member's defaultWorkoutVisibility applies.
            visibility: visibilityArb,
            classChoice: fc.oneof({ arbitrary: fc.constant(null), weight: 1 }, { arbitrary: fc.nat(), weight: 4 }),
            output: outputArb,
            startedAt: startedAtArb,
          },
          { requiredKeys: ['by', 'classChoice', 'output', 'startedAt'] },
        )
        .map((r): Op => ({ op: 'workout', ...r })),
      weight: 10,
    },
    { arbitrary: fc.record({ by: member, workout: fc.nat(), visibility: visibilityArb }).map((r): Op => ({ op: 'setVisibility', ...r })), weight: 3 },
    { arbitrary: fc.record({ by: member, workout: fc.nat() }).map((r): Op => ({ op: 'removeWorkout', ...r })), weight: 1 },
    {
      arbitrary: fc.record({ by: member, workout: fc.nat(), action: fc.constantFrom<'update' | 'remove'>('update', 'remove') }).map((r): Op => ({ op: 'tamper', ...r })),
      weight: 1,
    },
  );
}

const worldArb: fc.Arbitrary<World> = fc.integer({ min: 4, max: 7 }).chain((n) =>
  fc.record({
    members: fc.uniqueArray(memberArb, { minLength: n, maxLength: n, selector: (m) => m.username }),
    instructors: fc.integer({ min: 1, max: 2 }),
    // size 'max': fast-check's default bias towards short arrays leaves the graph too sparse to
    // have many approved follows of private members or lists longer than one page.
    ops: fc.array(opArb(n), { maxLength: 80, size: 'max' }),
    queries: fc.uniqueArray(queryArb, { maxLength: 4 }),
  }),
);

// --- the reference model ----------------------------------------------------------------------

interface ModelMember extends MemberSpec {
  id: string;
  role: Role;
  active: boolean;
  leaderboard: LeaderboardSetting;
  defaultWorkoutVisibility: Visibility;
}

interface ModelClass {
  label: string;
  id: string;
  instructor: number;
}

interface ModelWorkout {
  label: string;
  id: string;
  owner: number;
  classIndex: number | null;
  visibility: Visibility;
  output: number | null;
  startedAt: string;
  deleted: boolean;
}

/** A card with the member's id replaced by its label (m0, m1, …) so failures read easily. */
interface LabelledCard {
  id: string;
  username: string;
  displayName: string;
  isPrivate: boolean;
}

/** A workout with its own, its owner's and its class's ids replaced by labels (w0, m1, c0). */
type LabelledWorkout = Omit<Workout, 'createdAt'>;

interface LabelledEntry {
  rank: number;
  totalOutputKj: number;
  user: LabelledCard | null;
}

type ExpectedView =
  | { view: 'card'; user: LabelledCard }
  | { view: 'profile'; user: LabelledCard & { bio: null; location: null; followerCount: number; followingCount: number; workoutCount: number } };

/** Member lists: cards for followers and following, workout labels for workouts. */
type ExpectedList<T> = { kind: 'ok'; items: T[] } | { kind: 'hidden' } | { kind: 'absent' };

const key = (a: number, b: number) => `${a}>${b}`;

// Everything but the visibility rules' inputs is fixed, so the model knows every field.
const ride = { discipline: 'cycling', durationSeconds: 1800 } as const;

/** The contract, written as plainly as possible over indices into `members`. */
class Model {
  readonly follows = new Map<string, Edge>(); // follower>followee
  readonly blocks = new Set<string>(); // blocker>blocked
  readonly classes: ModelClass[] = [];
  readonly workouts: ModelWorkout[] = [];

  constructor(readonly members: ModelMember[]) {}

  private member(i: number): ModelMember {
    const m = this.members[i];
    if (!m) throw new Error(`no member ${i}`);
    return m;
  }

  visible(v: number, t: number): boolean {
    return this.member(t).active && !this.blocks.has(key(v, t)) && !this.blocks.has(key(t, v));
  }

  approvedFollower(v: number, t: number): boolean {
    return this.follows.get(key(v, t)) === 'approved';
  }

  profileVisible(v: number, t: number): boolean {
    return this.visible(v, t) && (v === t || this.member(t).profile === 'public' || this.approvedFollower(v, t));
  }

  /** A class is visible while its instructor is: active, and no block either way with the viewer. */
  classVisible(v: number, c: number): boolean {
    const cls = this.classes[c];
    if (!cls) throw new Error(`no class ${c}`);
    return this.visible(v, cls.instructor);
  }

  /** API.md "Workouts": the owner; else a visible owner and public (public profile or approved follower) or followers (approved follower). */
  workoutVisible(v: number, w: ModelWorkout): boolean {
    if (w.deleted) return false;
    if (w.owner === v) return true;
    if (!this.visible(v, w.owner)) return false;
    switch (w.visibility) {
      case 'public':
        return this.member(w.owner).profile === 'public' || this.approvedFollower(v, w.owner);
      case 'followers':
        return this.approvedFollower(v, w.owner);
      case 'only_me':
        return false;
    }
  }

  // Writes, with the repositories' intended answers.

  follow(by: number, target: number): 'following' | 'requested' | null {
    if (!this.visible(by, target)) return null;
    const k = key(by, target);
    // An existing edge is kept as is: a request stays pending even if the target turned public.
    if (!this.follows.has(k)) this.follows.set(k, this.member(target).profile === 'public' ? 'approved' : 'pending');
    return this.follows.get(k) === 'approved' ? 'following' : 'requested';
  }

  unfollow(by: number, target: number): boolean {
    if (!this.visible(by, target)) return false;
    this.follows.delete(key(by, target));
    return true;
  }

  /** approve (pending → approved), deny (pending → gone), removeFollower (approved → gone). */
  answer(by: number, follower: number, from: Edge, to: Edge | null): boolean {
    const k = key(follower, by);
    if (this.follows.get(k) !== from || !this.visible(by, follower)) return false;
    if (to === null) this.follows.delete(k);
    else this.follows.set(k, to);
    return true;
  }

  block(by: number, target: number): boolean {
    // Anyone visible may be blocked, and blocking again is idempotent; a suspended member cannot be.
    if (!this.member(target).active || !(this.visible(by, target) || this.blocks.has(key(by, target)))) return false;
    this.blocks.add(key(by, target));
    this.follows.delete(key(by, target));
    this.follows.delete(key(target, by));
    return true;
  }

  unblock(by: number, target: number): boolean {
    return this.blocks.delete(key(by, target));
  }

  /** The members `t` has blocked. */
  blockedBy(t: number): number[] {
    return this.members.map((_, i) => i).filter((i) => this.blocks.has(key(t, i)));
  }

  /** Members with a pending request to `t`, visible or not (a suspended one may have asked). */
  requestsTo(t: number): number[] {
    return this.members.map((_, i) => i).filter((i) => this.follows.get(key(i, t)) === 'pending');
  }

  privacy(t: number): PrivacySettings {
    const { profile, searchable, leaderboard, defaultWorkoutVisibility } = this.member(t);
    return { profile, searchable, leaderboard, defaultWorkoutVisibility };
  }

  /** The workout `by` would create, or null when the class named is not one `by` can see (a 400). */
  /** The class a `classChoice` names: modulo the number of classes; null for none. */
  classOf(choice: number | null): number | null {
    return choice === null || this.classes.length === 0 ? null : choice % this.classes.length;
  }

  createWorkout(by: number, op: Extract<Op, { op: 'workout' }>): ModelWorkout | null {
    const classIndex = this.classOf(op.classChoice);
    if (classIndex !== null && !this.classVisible(by, classIndex)) return null;
    return {
      label: `w${this.workouts.length}`,
      id: '',
      owner: by,
      classIndex,
      visibility: op.visibility ?? this.member(by).defaultWorkoutVisibility,
      output: op.output,
      startedAt: op.startedAt,
      deleted: false,
    };
  }

  /** `t`'s workouts (deleted ones gone), in creation order. */
  liveWorkoutsOf(t: number): ModelWorkout[] {
    return this.workouts.filter((w) => w.owner === t && !w.deleted);
  }

  /** A write to another member's workout: 403 while the writer can see it, else 404. */
  tamper(by: number, w: ModelWorkout): WriteOutcome<never> {
    return this.workoutVisible(by, w) ? { kind: 'forbidden' } : { kind: 'absent' };
  }

  // Reads, as viewer `v` should see them.

  card(t: number): LabelledCard {
    const m = this.member(t);
    return { id: `m${t}`, username: m.username, displayName: m.displayName, isPrivate: m.profile === 'private' };
  }

  workout(w: ModelWorkout): LabelledWorkout {
    return {
      id: w.label,
      userId: `m${w.owner}`,
      classId: w.classIndex === null ? null : `c${w.classIndex}`,
      discipline: ride.discipline,
      title: w.label,
      startedAt: w.startedAt,
      durationSeconds: ride.durationSeconds,
      totalOutputKj: w.output,
      avgCadenceRpm: null,
      avgHeartRateBpm: null,
      maxHeartRateBpm: null,
      distanceKm: null,
      calories: null,
      visibility: w.visibility,
    };
  }

  /** Approved followers of `t` (direction 'followers') or members `t` follows ('following'), as `v` may list them. */
  related(v: number, t: number, direction: Direction): number[] {
    const related: number[] = [];
    for (const [k, state] of this.follows) {
      const [follower, followee] = k.split('>').map(Number) as [number, number];
      if (state !== 'approved') continue;
      if (direction === 'followers' && followee === t && this.visible(v, follower)) related.push(follower);
      if (direction === 'following' && follower === t && this.visible(v, followee)) related.push(followee);
    }
    return related;
  }

  /** `t`'s workouts that `v` may see, newest first (startedAt, then id, both descending). */
  visibleWorkoutsOf(v: number, t: number): ModelWorkout[] {
    return this.liveWorkoutsOf(t)
      .filter((w) => this.workoutVisible(v, w))
      .sort((a, b) => compareText(b.startedAt, a.startedAt) || compareText(b.id, a.id));
  }

  view(v: number, t: number): ExpectedView | null {
    if (!this.visible(v, t)) return null;
    if (!this.profileVisible(v, t)) return { view: 'card', user: this.card(t) };
    return {
      view: 'profile',
      user: {
        ...this.card(t),
        bio: null,
        location: null,
        followerCount: this.related(v, t, 'followers').length,
        followingCount: this.related(v, t, 'following').length,
        workoutCount: this.visibleWorkoutsOf(v, t).length,
      },
    };
  }

  list(v: number, t: number, direction: Direction): ExpectedList<LabelledCard> {
    if (!this.visible(v, t)) return { kind: 'absent' };
    if (!this.profileVisible(v, t)) return { kind: 'hidden' };
    const byId = (a: number, b: number) => compareText(this.member(a).id, this.member(b).id);
    return { kind: 'ok', items: this.related(v, t, direction).sort(byId).map((i) => this.card(i)) };
  }

  /** GET /users/{t}/workouts as `v`: the labels of the visible workouts, newest first. */
  workoutList(v: number, t: number): ExpectedList<string> {
    if (!this.visible(v, t)) return { kind: 'absent' };
    if (!this.profileVisible(v, t)) return { kind: 'hidden' };
    return { kind: 'ok', items: this.visibleWorkoutsOf(v, t).map((w) => w.label) };
  }

  /** GET /me/workouts as `v`: all of `v`'s workouts, newest first. */
  mine(v: number): string[] {
    return this.visibleWorkoutsOf(v, v).map((w) => w.label);
  }

  /**
   * The leaderboard of class `c` as `v` sees it, or null when `v` may not see the class. Entries:
   * the class's live workouts with an output, not only_me, of active owners on leaderboards;
   * best output first, then earlier start, then id; named only where `v` may see the workout.
   */
  leaderboard(v: number, c: number): LabelledEntry[] | null {
    if (!this.classVisible(v, c)) return null;
    return this.workouts
      .filter((w) => !w.deleted && w.classIndex === c && w.output !== null && w.visibility !== 'only_me')
      .filter((w) => this.member(w.owner).active && this.member(w.owner).leaderboard === 'visible')
      .sort((a, b) => (b.output as number) - (a.output as number) || compareText(a.startedAt, b.startedAt) || compareText(a.id, b.id))
      .map((w, i) => ({ rank: i + 1, totalOutputKj: w.output as number, user: this.workoutVisible(v, w) ? this.card(w.owner) : null }));
  }

  search(v: number, query: string): LabelledCard[] {
    const q = query.toLowerCase();
    return this.members
      .map((m, i) => ({ m, i }))
      .filter(({ m, i }) => this.visible(v, i) && m.searchable && (m.username.startsWith(q) || m.displayName.toLowerCase().startsWith(q)))
      // Ordered by the text that matched: the display name when it matches, else the username;
      // a username match first on equal texts, display-name matches by id among themselves.
      .map(({ m, i }) => (m.displayName.toLowerCase().startsWith(q) ? { i, key: m.displayName.toLowerCase(), branch: 1, id: m.id } : { i, key: m.username, branch: 0, id: '' }))
      .sort((a, b) => compareBytes(a.key, b.key) || a.branch - b.branch || compareText(a.id, b.id))
      .map(({ i }) => this.card(i));
  }
}

/** UTF-8 byte order, as both databases compare the search keys. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Code-unit order; for the ASCII usernames, hex ids and ISO times used here that is the databases' byte order. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- viewers, paging and normalising the data layer's answers ---------------------------------

function userViewer(userId: string, role: Role = 'member'): UserViewer {
  return { kind: 'user', userId, role, scopes: new Set(allScopes), credentialId: 'test', credentialKind: 'session', securityStamp: 'test' };
}

// Suspension needs an administrator's session; the admin need not exist as a row for that.
const adminViewer: UserViewer = {
  kind: 'user',
  userId: '00000000-0000-7000-8000-00000000adad',
  role: 'admin',
  scopes: new Set(allScopes),
  credentialId: 'test-admin',
  credentialKind: 'session',
  securityStamp: 'test-admin',
};

/** Follows nextCursor to the end, checking that every page but the last is full. */
async function collectPages<T>(fetch: (page: PageRequest) => Promise<Page<T>>, what: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 30; pages++) {
    const page = await fetch({ limit: pageSize, cursor });
    items.push(...page.items);
    if (page.nextCursor === null) {
      expect(page.items.length, `${what}: last page too long`).toBeLessThanOrEqual(pageSize);
      return items;
    }
    expect(page.items.length, `${what}: a page with a next cursor must be full`).toBe(pageSize);
    cursor = page.nextCursor;
  }
  throw new Error(`${what}: pagination did not end`);
}

/**
 * Shrinking re-runs whole worlds (up to about half a second each on PostgreSQL), so a failure
 * could shrink for minutes and hit the test timeout, losing the counterexample. Once a failure
 * has been shrinking for `budgetMs`, further candidates are passed unchecked, which ends the
 * shrinking with the smallest counterexample found so far. Nothing is skipped before a failure,
 * and no run is ever abandoned half-way (unlike fast-check's interruptAfterTimeLimit), so every
 * run cleans up after itself.
 */
function withShrinkBudget<T>(check: (value: T) => Promise<void>, budgetMs: number): (value: T) => Promise<void> {
  let failingSince: number | undefined;
  return async (value) => {
    if (failingSince !== undefined && Date.now() - failingSince > budgetMs) return;
    try {
      await check(value);
    } catch (error) {
      failingSince ??= Date.now();
      throw error;
    }
  };
}

// --- the property -----------------------------------------------------------------------------

describeEachDialect('visibility agrees with the reference model', (dialect) => {
  let database: TestDatabase;
  let passwordHash: string;

  beforeAll(async () => {
    // One database per dialect, emptied after every run; one hash for every member (argon2 is slow).
    [database, passwordHash] = await Promise.all([createTestDatabase(dialect), hashPassword('property test passphrase 42')]);
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('users, workouts and leaderboards return exactly what the model allows', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArb,
        withShrinkBudget((world: World) => checkWorld(database.data, passwordHash, world), 60_000),
      ),
      { numRuns: 30 },
    );
  }, 150_000);
});

async function checkWorld(data: DataLayer, passwordHash: string, world: World): Promise<void> {
  // Runs share the database, so a run must start from nothing (searches would see leftovers).
  expect(await data.accounts.isEmpty(), 'the previous run left members behind').toBe(true);
  const ids: string[] = [];
  try {
    for (const [i, spec] of world.members.entries()) {
      const { username, displayName, profile } = spec;
      const role: Role = i < world.instructors ? 'instructor' : 'member';
      const id = await data.accounts.register({ username, email: `${username}@example.test`, passwordHash, displayName, profile, role });
      ids.push(id);
      const privacy = { ...(!spec.searchable && { searchable: false }), ...(spec.defaultWorkoutVisibility && { defaultWorkoutVisibility: spec.defaultWorkoutVisibility }) };
      if (Object.keys(privacy).length > 0) await data.forViewer(userViewer(id, role)).me.update({ privacy });
    }
    await checkAgainstModel(data, world, ids);
  } finally {
    // Deleting the accounts cascades to their follows, blocks, workouts and classes.
    for (const id of ids) await data.accounts.deleteAccount(userViewer(id), null);
  }
}

async function checkAgainstModel(data: DataLayer, world: World, ids: string[]): Promise<void> {
  const model = new Model(
    world.members.map((spec, i) => ({
      ...spec,
      id: ids[i] as string,
      role: i < world.instructors ? 'instructor' : 'member',
      active: true,
      leaderboard: 'visible',
      defaultWorkoutVisibility: spec.defaultWorkoutVisibility ?? 'followers',
    })),
  );
  const viewers: ViewerData[] = model.members.map((m) => data.forViewer(userViewer(m.id, m.role)));
  const admin = data.forViewer(adminViewer);
  const as = (i: number) => viewers[i] as ViewerData;
  const idOf = (i: number) => ids[i] as string;
  const labels = new Map(ids.map((id, i) => [id, `m${i}`]));
  const label = (id: string) => labels.get(id) ?? id;
  const labelCard = (card: UserCard): LabelledCard => ({ ...card, id: label(card.id) });
  const labelWorkout = (workout: Workout): LabelledWorkout => {
    // The creation time is unknown to the model; it must still be there.
    const { createdAt, ...rest } = workout;
    expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    return { ...rest, id: label(rest.id), userId: label(rest.userId), classId: rest.classId === null ? null : label(rest.classId) };
  };
  const labelEntry = (entry: LeaderboardEntry): LabelledEntry => ({ ...entry, user: entry.user && labelCard(entry.user) });

  // Printed with every failure: the shrunk world, what each operation answered, the classes and
  // workouts as the model has them at that point, and the check that failed last, where vitest
  // appends its "expected … to deeply equal …".
  const log: string[] = [];
  const describeWorkout = (w: ModelWorkout) =>
    `  ${w.label} by m${w.owner} ${w.visibility}, ${w.classIndex === null ? 'no class' : `class c${w.classIndex}`}, ` +
    `${w.output === null ? 'no output' : `${w.output} kJ`}, started ${w.startedAt}${w.deleted ? ' (deleted)' : ''}`;
  const context = (what: string) =>
    [
      'members:',
      ...world.members.map(
        (m, i) =>
          `  m${i} ${JSON.stringify(m.username)} "${m.displayName}" ${m.profile}${m.searchable ? '' : ' unsearchable'}` +
          `${m.defaultWorkoutVisibility ? ` default ${m.defaultWorkoutVisibility}` : ''}${i < world.instructors ? ' INSTRUCTOR' : ''}`,
      ),
      'classes:',
      ...model.classes.map((c) => `  ${c.label} taught by m${c.instructor}`),
      'operations:',
      ...log.map((line) => `  ${line}`),
      'workouts now:',
      ...model.workouts.map(describeWorkout),
      what,
    ].join('\n');

  // Each instructor teaches one class, made before anything else happens.
  for (let i = 0; i < world.instructors; i++) {
    const created = await as(i).classes.create({ title: `c${i}`, discipline: 'cycling', durationSeconds: 1800, difficulty: 5, airedAt: '2024-04-30T12:00:00.000Z' });
    labels.set(created.id, `c${i}`);
    model.classes.push({ label: `c${i}`, id: created.id, instructor: i });
    expect(labelCard(created.instructor), context(`m${i} creates class c${i}`)).toEqual(model.card(i));
  }

  // Build the world: each operation through the repositories, and the same in the model.
  for (const op of world.ops) {
    if ('by' in op && !model.members[op.by]?.active) {
      // Suspension revokes every session, so a suspended member cannot act.
      log.push(`(skipped, m${op.by} is suspended) ${JSON.stringify(op)}`);
      continue;
    }
    const step = await applyOp(op);
    if (step === null) {
      log.push(`(skipped, nothing to ${op.op}) ${JSON.stringify(op)}`);
      continue;
    }
    const [what, actual, expected] = step;
    log.push(`${what} → ${brief(actual)}`);
    expect(actual, context(`answer to ${what}`)).toEqual(expected);
  }

  async function applyOp(op: Op): Promise<[string, unknown, unknown] | null> {
    switch (op.op) {
      case 'follow':
        return [`m${op.by} follows m${op.target}`, await as(op.by).follows.follow(idOf(op.target)), model.follow(op.by, op.target)];
      case 'unfollow':
        return [`m${op.by} unfollows m${op.target}`, await as(op.by).follows.unfollow(idOf(op.target)), model.unfollow(op.by, op.target)];
      case 'approve':
      case 'deny': {
        const requests = model.requestsTo(op.by);
        if (requests.length === 0) return null;
        const follower = requests[op.request % requests.length] as number;
        const answered = await as(op.by).follows[op.op](idOf(follower));
        return [`m${op.by} ${op.op === 'approve' ? 'approves' : 'denies'} m${follower}`, answered, model.answer(op.by, follower, 'pending', op.op === 'approve' ? 'approved' : null)];
      }
      case 'removeFollower':
        return [
          `m${op.by} removes follower m${op.follower}`,
          await as(op.by).follows.removeFollower(idOf(op.follower)),
          model.answer(op.by, op.follower, 'approved', null),
        ];
      case 'block':
        return [`m${op.by} blocks m${op.target}`, await as(op.by).blocks.block(idOf(op.target)), model.block(op.by, op.target)];
      case 'unblock': {
        const blocked = model.blockedBy(op.by);
        if (blocked.length === 0) return null;
        const target = blocked[op.block % blocked.length] as number;
        return [`m${op.by} unblocks m${target}`, await as(op.by).blocks.unblock(idOf(target)), model.unblock(op.by, target)];
      }
      case 'privacy': {
        const { op: _, by, ...privacy } = op;
        const self = await as(by).me.update({ privacy });
        Object.assign(model.members[by] as ModelMember, privacy);
        return [`m${by} sets privacy ${JSON.stringify(privacy)}`, self?.privacy, model.privacy(by)];
      }
      case 'rename': {
        const self = await as(op.by).me.update({ displayName: op.displayName });
        const m = model.members[op.by] as ModelMember;
        m.displayName = op.displayName;
        return [`m${op.by} renames to "${op.displayName}"`, self?.displayName, m.displayName];
      }
      case 'suspend':
      case 'unsuspend': {
        const done = await admin.admin[op.op](idOf(op.target), 'property test of visibility rules');
        (model.members[op.target] as ModelMember).active = op.op === 'unsuspend';
        return [`admin ${op.op}s m${op.target}`, done, true];
      }
      case 'workout': {
        const expected = model.createWorkout(op.by, op);
        const classIndex = model.classOf(op.classChoice);
        const title = `w${model.workouts.length}`;
        const what =
          `m${op.by} creates ${title} (${op.visibility ?? `default ${model.members[op.by]?.defaultWorkoutVisibility}`}, ` +
          `${classIndex === null ? 'no class' : `class c${classIndex}`}, ${op.output === null ? 'no output' : `${op.output} kJ`}, ${op.startedAt})`;
        let created: Workout;
        try {
          created = await as(op.by).workouts.create({
            ...ride,
            title,
            startedAt: op.startedAt,
            totalOutputKj: op.output,
            ...(op.visibility && { visibility: op.visibility }),
            ...(classIndex !== null && { classId: model.classes[classIndex]?.id }),
          });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return [what, `rejected: ${error.code}`, expected ? 'created' : 'rejected: validation_failed'];
        }
        if (!expected) return [what, labelWorkout(created), 'rejected: validation_failed'];
        expected.id = created.id;
        labels.set(created.id, expected.label);
        model.workouts.push(expected);
        return [what, labelWorkout(created), model.workout(expected)];
      }
      case 'setVisibility': {
        const own = model.liveWorkoutsOf(op.by);
        if (own.length === 0) return null;
        const w = own[op.workout % own.length] as ModelWorkout;
        const outcome = await as(op.by).workouts.update(w.id, { visibility: op.visibility });
        w.visibility = op.visibility;
        return [`m${op.by} makes ${w.label} ${op.visibility}`, labelOutcome(outcome), { kind: 'ok', value: model.workout(w) }];
      }
      case 'removeWorkout': {
        const own = model.liveWorkoutsOf(op.by);
        if (own.length === 0) return null;
        const w = own[op.workout % own.length] as ModelWorkout;
        const outcome = await as(op.by).workouts.remove(w.id);
        w.deleted = true;
        return [`m${op.by} deletes ${w.label}`, outcome, { kind: 'ok', value: true }];
      }
      case 'tamper': {
        const others = model.workouts.filter((w) => w.owner !== op.by);
        if (others.length === 0) return null;
        const w = others[op.workout % others.length] as ModelWorkout;
        // Answered before the write: a wrongly allowed write would otherwise change the expectation.
        const expected = model.tamper(op.by, w);
        const workouts = as(op.by).workouts;
        const outcome = op.action === 'update' ? labelOutcome(await workouts.update(w.id, { visibility: 'public' })) : await workouts.remove(w.id);
        return [`m${op.by} tries to ${op.action === 'update' ? 'make public' : 'delete'} m${w.owner}'s ${w.label}`, outcome, expected];
      }
    }
  }

  function labelOutcome(outcome: WriteOutcome<Workout>): WriteOutcome<LabelledWorkout> {
    return outcome.kind === 'ok' ? { kind: 'ok', value: labelWorkout(outcome.value) } : outcome;
  }

  /** One line per operation in the failure log. */
  function brief(actual: unknown): string {
    if (actual === null || typeof actual !== 'object') return String(actual);
    if ('kind' in actual) return String(actual.kind);
    if ('id' in actual && 'visibility' in actual) return `${String(actual.id)} ${String(actual.visibility)}`;
    return JSON.stringify(actual);
  }

  function labelView(view: UserView | null) {
    if (view === null || view.view === 'card') return view && { view: view.view, user: labelCard(view.user) };
    // The registration time is unknown to the model; it must still be there.
    const { createdAt, ...profile } = view.user;
    expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    return { view: view.view, user: labelCard(profile) };
  }

  async function labelList<T, L>(fetch: (page: PageRequest) => Promise<ListOutcome<T>>, toLabel: (item: T) => L, what: string): Promise<ExpectedList<L>> {
    const first = await fetch({ limit: pageSize });
    if (first.kind !== 'ok') return first;
    const items = await collectPages(async (page) => {
      if (page.cursor === undefined) return first.page;
      const next = await fetch(page);
      if (next.kind !== 'ok') throw new Error(`${what}: a later page answered ${next.kind}`);
      return next.page;
    }, what);
    return { kind: 'ok', items: items.map(toLabel) };
  }

  const workoutLabel = (workout: Workout) => label(workout.id);

  // Every user looks at every user, themselves included, in every way; at every workout; and at
  // every leaderboard.
  const n = ids.length;
  for (let v = 0; v < n; v++) {
    const { users, workouts, classes } = as(v);
    for (let t = 0; t < n; t++) {
      const expected = model.view(v, t);
      let what = `m${v} gets m${t} by id`;
      expect(labelView(await users.getById(idOf(t))), context(what)).toEqual(expected);
      // Upper case: the lookup must lower-case the name it is given.
      what = `m${v} gets m${t} by username`;
      expect(labelView(await users.getByUsername(world.members[t]!.username.toUpperCase())), context(what)).toEqual(expected);
      for (const direction of ['followers', 'following'] as const) {
        what = `m${v} lists m${t}'s ${direction}`;
        expect(await labelList((page) => users[direction](idOf(t), page), labelCard, what), context(what)).toEqual(model.list(v, t, direction));
      }
      what = `m${v} lists m${t}'s workouts`;
      expect(await labelList((page) => workouts.ofMember(idOf(t), page), workoutLabel, what), context(what)).toEqual(model.workoutList(v, t));
    }
    // The generated queries, plus two-character prefixes of every name, so searches do find people.
    const queries = new Set(world.queries);
    for (const m of model.members) queries.add(m.username.slice(0, 2)).add(m.displayName.slice(0, 2));
    for (const query of queries) {
      const what = `m${v} searches ${JSON.stringify(query)}`;
      const found = await collectPages((page) => users.search(query, page), what);
      expect(found.map(labelCard), context(what)).toEqual(model.search(v, query));
    }
    // Deleted workouts too: gone for everyone, the owner included.
    for (const w of model.workouts) {
      const what = `m${v} gets ${w.label}`;
      const found = await workouts.get(w.id);
      expect(found && labelWorkout(found), context(what)).toEqual(model.workoutVisible(v, w) ? model.workout(w) : null);
    }
    let what = `m${v} lists their own workouts`;
    expect((await collectPages((page) => workouts.mine(page), what)).map(workoutLabel), context(what)).toEqual(model.mine(v));
    for (const [c, cls] of model.classes.entries()) {
      what = `m${v} reads the leaderboard of ${cls.label}`;
      const board = await classes.leaderboard(cls.id, leaderboardLimit);
      expect(board && board.map(labelEntry), context(what)).toEqual(model.leaderboard(v, c));
    }
  }
}
