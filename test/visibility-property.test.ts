import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { allScopes } from '../src/authz/scopes.js';
import type { UserViewer } from '../src/authz/viewer.js';
import type { DataLayer, ViewerData } from '../src/data/data-layer.js';
import type { Page, PageRequest } from '../src/data/pagination.js';
import type { ListOutcome, UserView } from '../src/data/users.js';
import type { UserCard } from '../src/data/views.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * Differential property test of the member visibility rules. Random small worlds (members,
 * follows and requests, blocks, privacy settings, suspensions) are built through the
 * repositories, so the writes obey the same rules as in production; then every read each member
 * can make of every other member (get, followers, following, search) is compared with a small
 * in-memory model of the contract (API.md, "Views of a user" and "Users, privacy and follows").
 */

type Profile = 'public' | 'private';
type Edge = 'approved' | 'pending';
type Direction = 'followers' | 'following';

interface MemberSpec {
  username: string;
  displayName: string;
  profile: Profile;
  searchable: boolean;
}

/**
 * Member operands are indices into the world's members; `by` is the member acting. approve and
 * deny name one of `by`'s pending requests (`request` modulo their number), and unblock one of
 * `by`'s blocks, since a random member would almost never be one.
 */
type Op =
  | { op: 'follow'; by: number; target: number }
  | { op: 'unfollow'; by: number; target: number }
  | { op: 'approve'; by: number; request: number }
  | { op: 'deny'; by: number; request: number }
  | { op: 'removeFollower'; by: number; follower: number }
  | { op: 'block'; by: number; target: number }
  | { op: 'unblock'; by: number; block: number }
  | { op: 'privacy'; by: number; profile?: Profile; searchable?: boolean }
  | { op: 'rename'; by: number; displayName: string }
  | { op: 'suspend'; target: number }
  | { op: 'unsuspend'; target: number };

interface World {
  members: MemberSpec[];
  ops: Op[];
  queries: string[];
}

// Small enough that most lists span several pages, so the keyset cursors are exercised too.
const pageSize = 2;

// --- generators -------------------------------------------------------------------------------

// A tiny alphabet, so usernames share prefixes and `_` sits where a LIKE wildcard would match.
const usernameArb = fc.string({ unit: fc.constantFrom('a', 'b', '_'), minLength: 3, maxLength: 5 });
// Mixed case (search lower-cases the key), and `%` and `_`, which must match only themselves.
const displayNameArb = fc.string({ unit: fc.constantFrom('a', 'B', '_', '%', ' ', 'É'), minLength: 1, maxLength: 5 });
const queryArb = fc.string({ unit: fc.constantFrom('a', 'A', 'b', '_', '%', ' ', 'é'), minLength: 1, maxLength: 3 });
const profileArb = fc.constantFrom<Profile>('public', 'private');

const memberArb: fc.Arbitrary<MemberSpec> = fc.record({
  username: usernameArb,
  displayName: displayNameArb,
  profile: profileArb,
  // Mostly searchable, or searches would rarely find anyone.
  searchable: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
});

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
        .record({ by: member, profile: profileArb, searchable: fc.boolean() }, { requiredKeys: ['by'] })
        .map((r): Op => ({ op: 'privacy', ...r })),
      weight: 2,
    },
    { arbitrary: fc.record({ by: member, displayName: displayNameArb }).map((r): Op => ({ op: 'rename', ...r })), weight: 1 },
    { arbitrary: member.map((target): Op => ({ op: 'suspend', target })), weight: 1 },
    { arbitrary: member.map((target): Op => ({ op: 'unsuspend', target })), weight: 1 },
  );
}

const worldArb: fc.Arbitrary<World> = fc.integer({ min: 4, max: 7 }).chain((n) =>
  fc.record({
    members: fc.uniqueArray(memberArb, { minLength: n, maxLength: n, selector: (m) => m.username }),
    // size 'max': fast-check's default bias towards short arrays leaves the graph too sparse to
    // have many approved follows of private members or lists longer than one page.
    ops: fc.array(opArb(n), { maxLength: 60, size: 'max' }),
    queries: fc.uniqueArray(queryArb, { maxLength: 4 }),
  }),
);

// --- the reference model ----------------------------------------------------------------------

interface ModelMember extends MemberSpec {
  id: string;
  active: boolean;
}

/** A card with the member's id replaced by its label (m0, m1, …) so failures read easily. */
interface LabelledCard {
  id: string;
  username: string;
  displayName: string;
  isPrivate: boolean;
}

type ExpectedView =
  | { view: 'card'; user: LabelledCard }
  | { view: 'profile'; user: LabelledCard & { bio: null; location: null; followerCount: number; followingCount: number; workoutCount: number } };

type ExpectedList = { kind: 'ok'; items: LabelledCard[] } | { kind: 'hidden' } | { kind: 'absent' };

const key = (a: number, b: number) => `${a}>${b}`;

/** The contract, written as plainly as possible over indices into `members`. */
class Model {
  readonly follows = new Map<string, Edge>(); // follower>followee
  readonly blocks = new Set<string>(); // blocker>blocked

  constructor(readonly members: ModelMember[]) {}

  private member(i: number): ModelMember {
    const m = this.members[i];
    if (!m) throw new Error(`no member ${i}`);
    return m;
  }

  visible(v: number, t: number): boolean {
    return this.member(t).active && !this.blocks.has(key(v, t)) && !this.blocks.has(key(t, v));
  }

  profileVisible(v: number, t: number): boolean {
    return this.visible(v, t) && (v === t || this.member(t).profile === 'public' || this.follows.get(key(v, t)) === 'approved');
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

  // Reads, as viewer `v` should see them.

  card(t: number): LabelledCard {
    const m = this.member(t);
    return { id: `m${t}`, username: m.username, displayName: m.displayName, isPrivate: m.profile === 'private' };
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
        workoutCount: 0,
      },
    };
  }

  list(v: number, t: number, direction: Direction): ExpectedList {
    if (!this.visible(v, t)) return { kind: 'absent' };
    if (!this.profileVisible(v, t)) return { kind: 'hidden' };
    const byId = (a: number, b: number) => compareText(this.member(a).id, this.member(b).id);
    return { kind: 'ok', items: this.related(v, t, direction).sort(byId).map((i) => this.card(i)) };
  }

  search(v: number, query: string): LabelledCard[] {
    const q = query.toLowerCase();
    return this.members
      .map((m, i) => ({ m, i }))
      .filter(({ m, i }) => this.visible(v, i) && m.searchable && (m.username.startsWith(q) || m.displayName.toLowerCase().startsWith(q)))
      .sort((a, b) => compareText(a.m.username, b.m.username))
      .map(({ i }) => this.card(i));
  }
}

/** Code-unit order; for the ASCII usernames and hex ids used here that is the databases' byte order. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- viewers, paging and normalising the data layer's answers ---------------------------------

function memberViewer(userId: string): UserViewer {
  return { kind: 'user', userId, role: 'member', scopes: new Set(allScopes), credentialId: 'test', credentialKind: 'session' };
}

// Suspension needs an administrator's session; the admin need not exist as a row for that.
const adminViewer: UserViewer = {
  kind: 'user',
  userId: '00000000-0000-7000-8000-00000000adad',
  role: 'admin',
  scopes: new Set(allScopes),
  credentialId: 'test-admin',
  credentialKind: 'session',
};

/** Follows nextCursor to the end, checking that every page but the last is full. */
async function collectPages(fetch: (page: PageRequest) => Promise<Page<UserCard>>, what: string): Promise<UserCard[]> {
  const items: UserCard[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
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

// --- the property -----------------------------------------------------------------------------

describeEachDialect('member visibility agrees with the reference model', (dialect) => {
  let database: TestDatabase;
  let passwordHash: string;

  beforeAll(async () => {
    // One database per dialect, emptied after every run; one hash for every member (argon2 is slow).
    [database, passwordHash] = await Promise.all([createTestDatabase(dialect), hashPassword('property test passphrase 42')]);
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('get, followers, following and search return exactly what the model allows', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, (world) => checkWorld(database.data, passwordHash, world)),
      { numRuns: 30 },
    );
  }, 120_000);
});

async function checkWorld(data: DataLayer, passwordHash: string, world: World): Promise<void> {
  // Runs share the database, so a run must start from nothing (searches would see leftovers).
  expect(await data.accounts.isEmpty(), 'the previous run left members behind').toBe(true);
  const ids: string[] = [];
  try {
    for (const spec of world.members) {
      const { username, displayName, profile } = spec;
      const id = await data.accounts.register({ username, email: `${username}@example.test`, passwordHash, displayName, profile });
      ids.push(id);
      if (!spec.searchable) await data.forViewer(memberViewer(id)).me.update({ privacy: { searchable: false } });
    }
    await checkAgainstModel(data, world, ids);
  } finally {
    // Deleting the accounts cascades to their follows and blocks.
    for (const id of ids) await data.accounts.deleteAccount(memberViewer(id), null);
  }
}

async function checkAgainstModel(data: DataLayer, world: World, ids: string[]): Promise<void> {
  const model = new Model(world.members.map((spec, i) => ({ ...spec, id: ids[i] as string, active: true })));
  const viewers: ViewerData[] = ids.map((id) => data.forViewer(memberViewer(id)));
  const admin = data.forViewer(adminViewer);
  const as = (i: number) => viewers[i] as ViewerData;
  const idOf = (i: number) => ids[i] as string;
  const labels = new Map(ids.map((id, i) => [id, `m${i}`]));
  const label = (id: string) => labels.get(id) ?? id;
  const labelCard = (card: UserCard) => ({ ...card, id: label(card.id) });

  // Printed with every failure: the shrunk world, what each operation answered, and the check
  // that failed last, where vitest appends its "expected … to deeply equal …".
  const log: string[] = [];
  const context = (what: string) =>
    [
      'members:',
      ...world.members.map((m, i) => `  m${i} ${JSON.stringify(m.username)} "${m.displayName}" ${m.profile}${m.searchable ? '' : ' unsearchable'}`),
      'operations:',
      ...log.map((line) => `  ${line}`),
      what,
    ].join('\n');

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
    log.push(`${what} → ${String(actual)}`);
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
        const privacy = { ...(op.profile && { profile: op.profile }), ...(op.searchable !== undefined && { searchable: op.searchable }) };
        const self = await as(op.by).me.update({ privacy });
        const m = model.members[op.by] as ModelMember;
        Object.assign(m, privacy);
        return [`m${op.by} sets privacy ${JSON.stringify(privacy)}`, self?.privacy.profile, m.profile];
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
    }
  }

  function labelView(view: UserView | null) {
    if (view === null || view.view === 'card') return view && { view: view.view, user: labelCard(view.user) };
    // The registration time is unknown to the model; it must still be there.
    const { createdAt, ...profile } = view.user;
    expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    return { view: view.view, user: labelCard(profile) };
  }

  async function labelList(fetch: (page: PageRequest) => Promise<ListOutcome<UserCard>>, what: string) {
    const first = await fetch({ limit: pageSize });
    if (first.kind !== 'ok') return first;
    const items = await collectPages(async (page) => {
      if (page.cursor === undefined) return first.page;
      const next = await fetch(page);
      if (next.kind !== 'ok') throw new Error(`${what}: a later page answered ${next.kind}`);
      return next.page;
    }, what);
    return { kind: 'ok', items: items.map(labelCard) };
  }

  // Every member looks at every member, themselves included, in every way.
  const n = ids.length;
  for (let v = 0; v < n; v++) {
    const users = as(v).users;
    for (let t = 0; t < n; t++) {
      const expected = model.view(v, t);
      let what = `m${v} gets m${t} by id`;
      expect(labelView(await users.getById(idOf(t))), context(what)).toEqual(expected);
      // Upper case: the lookup must lower-case the name it is given.
      what = `m${v} gets m${t} by username`;
      expect(labelView(await users.getByUsername(world.members[t]!.username.toUpperCase())), context(what)).toEqual(expected);
      for (const direction of ['followers', 'following'] as const) {
        what = `m${v} lists m${t}'s ${direction}`;
        expect(await labelList((page) => users[direction](idOf(t), page), what), context(what)).toEqual(model.list(v, t, direction));
      }
    }
    // The generated queries, plus two-character prefixes of every name, so searches do find people.
    const queries = new Set(world.queries);
    for (const m of model.members) queries.add(m.username.slice(0, 2)).add(m.displayName.slice(0, 2));
    for (const query of queries) {
      const what = `m${v} searches ${JSON.stringify(query)}`;
      const found = await collectPages((page) => users.search(query, page), what);
      expect(found.map(labelCard), context(what)).toEqual(model.search(v, query));
    }
  }
}
