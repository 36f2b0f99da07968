import { afterAll, beforeAll, expect, it } from 'vitest';
import { allScopes } from '../src/authz/scopes.js';
import type { UserViewer } from '../src/authz/viewer.js';
import type { DataLayer } from '../src/data/data-layer.js';
import { type Database, openDatabase } from '../src/db/database.js';
import type { WorkoutVisibility } from '../src/db/schema.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * The counters kept on write (src/db/member-counters.ts) against a recount from scratch, after
 * every wave of a seeded random sequence of follows, approvals, denials, unfollows, removals,
 * blocks, unblocks, suspensions, unsuspensions, account deletions and workout writes. Each wave
 * runs 50 operations at once, so on PostgreSQL they race on pooled connections: over a small
 * population with a few popular members, the same rows are contended all the time. An operation
 * may lose its race with an error (a member deleted under it); a counter may never drift.
 */
const population = 14;
const popular = 3;
const waves = 24;
const perWave = 50;

/** mulberry32: the same sequence every run, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const visibilities: WorkoutVisibility[] = ['public', 'followers', 'only_me'];

interface Counters {
  follower_count: number;
  following_count: number;
  workout_count_public: number;
  workout_count_followers: number;
  workout_count_only_me: number;
}

function viewerOf(userId: string, role: UserViewer['role'] = 'member'): UserViewer {
  return { kind: 'user', userId, role, scopes: new Set(allScopes), credentialId: 'test', credentialKind: 'session', securityStamp: 'test' };
}

// Suspension needs an administrator's session; the admin need not exist as a row for that.
const admin = viewerOf('00000000-0000-7000-8000-00000000adad', 'admin');

describeEachDialect('member counters stay equal to a recount under concurrent writes', (dialect) => {
  let database: TestDatabase;
  let data: DataLayer;
  // A second handle on the same database, to read the rows behind the data layer's back.
  let reader: Database;
  let made = 0;

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { file: true });
    data = database.data;
    reader = openDatabase(database.url);
  });

  afterAll(async () => {
    await reader?.close();
    await database?.dispose();
  });

  async function register(): Promise<string> {
    const username = `counted${++made}`;
    return data.accounts.register({ username, email: `${username}@example.test`, passwordHash: '!not-a-hash', profile: made % 3 === 0 ? 'private' : 'public' });
  }

  /** Every member's counters, recounted from the rows: the definitions in member-counters.ts. */
  async function recount(): Promise<Map<string, { stored: Counters; recounted: Counters }>> {
    const [users, follows, workouts] = await Promise.all([
      reader.db.selectFrom('users').select(['id', 'status', 'follower_count', 'following_count', 'workout_count_public', 'workout_count_followers', 'workout_count_only_me']).execute(),
      reader.db.selectFrom('follows').select(['follower_id', 'followee_id', 'state']).execute(),
      reader.db.selectFrom('workouts').select(['user_id', 'visibility']).execute(),
    ]);
    const active = new Set(users.filter((u) => u.status === 'active').map((u) => u.id));
    const result = new Map<string, { stored: Counters; recounted: Counters }>();
    for (const { id, status: _, ...stored } of users) {
      const numbers = Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, Number(v)])) as unknown as Counters;
      result.set(id, { stored: numbers, recounted: { follower_count: 0, following_count: 0, workout_count_public: 0, workout_count_followers: 0, workout_count_only_me: 0 } });
    }
    for (const edge of follows) {
      if (edge.state !== 'approved') continue;
      if (active.has(edge.follower_id)) result.get(edge.followee_id)!.recounted.follower_count++;
      if (active.has(edge.followee_id)) result.get(edge.follower_id)!.recounted.following_count++;
    }
    for (const w of workouts) result.get(w.user_id)!.recounted[`workout_count_${w.visibility}`]++;
    return result;
  }

  it('after every wave of 50 concurrent writes, every stored counter equals the recount', async () => {
    const random = seeded(dialect === 'sqlite' ? 7 : 8);
    const members: string[] = [];
    for (let i = 0; i < population; i++) members.push(await register());
    const workouts: { id: string; owner: string }[] = [];
    // Popular members are chosen far more often, so their rows are where the writes collide.
    const someone = () => members[random() < 0.5 ? Math.floor(random() * popular) : Math.floor(random() * members.length)]!;
    const twoMembers = () => {
      const a = someone();
      let b = someone();
      while (b === a) b = members[Math.floor(random() * members.length)]!;
      return [a, b] as const;
    };
    const as = (id: string) => data.forViewer(viewerOf(id));
    const reason = 'checking that counters survive suspension';

    type Operation = [string, () => Promise<unknown>];
    const operations: [number, () => Operation][] = [
      [14, () => { const [a, b] = twoMembers(); return [`follow ${a} ${b}`, () => as(a).follows.follow(b)]; }],
      [5, () => { const [a, b] = twoMembers(); return [`approve ${a} ${b}`, () => as(a).follows.approve(b)]; }],
      [1, () => { const [a, b] = twoMembers(); return [`deny ${a} ${b}`, () => as(a).follows.deny(b)]; }],
      [2, () => { const [a, b] = twoMembers(); return [`unfollow ${a} ${b}`, () => as(a).follows.unfollow(b)]; }],
      [2, () => { const [a, b] = twoMembers(); return [`remove follower ${a} ${b}`, () => as(a).follows.removeFollower(b)]; }],
      [2, () => { const [a, b] = twoMembers(); return [`block ${a} ${b}`, () => as(a).blocks.block(b)]; }],
      [2, () => { const [a, b] = twoMembers(); return [`unblock ${a} ${b}`, () => as(a).blocks.unblock(b)]; }],
      [2, () => { const a = someone(); return [`suspend ${a}`, () => data.forViewer(admin).admin.suspend(a, reason)]; }],
      [2, () => { const a = someone(); return [`unsuspend ${a}`, () => data.forViewer(admin).admin.unsuspend(a, reason)]; }],
      [
        1,
        () => {
          const index = Math.floor(random() * members.length);
          const a = members[index]!;
          return [
            `delete ${a}`,
            async () => {
              await data.accounts.deleteAccount(viewerOf(a), null);
              // The population stays the same size; later picks see the newcomer.
              if (members[index] === a) members[index] = await register();
            },
          ];
        },
      ],
      [
        6,
        () => {
          const a = someone();
          const visibility = visibilities[Math.floor(random() * 3)]!;
          return [
            `workout ${a} ${visibility}`,
            async () => {
              const w = await as(a).workouts.create({ discipline: 'cycling', title: 'ride', startedAt: '2026-01-01T06:00:00.000Z', durationSeconds: 1800, visibility });
              workouts.push({ id: w.id, owner: a });
            },
          ];
        },
      ],
      [
        4,
        () => {
          const w = workouts[Math.floor(random() * workouts.length)];
          const visibility = visibilities[Math.floor(random() * 3)]!;
          return [`set ${w?.id} ${visibility}`, async () => w && as(w.owner).workouts.update(w.id, { visibility })];
        },
      ],
      [2, () => { const w = workouts[Math.floor(random() * workouts.length)]; return [`remove ${w?.id}`, async () => w && as(w.owner).workouts.remove(w.id)]; }],
    ];
    const totalWeight = operations.reduce((sum, [weight]) => sum + weight, 0);
    const draw = (): Operation => {
      let roll = random() * totalWeight;
      for (const [weight, make] of operations) if ((roll -= weight) < 0) return make();
      return operations[0]![1]();
    };

    const lockFailures: string[] = [];
    let succeeded = 0;
    for (let wave = 0; wave < waves; wave++) {
      const batch = Array.from({ length: perWave }, draw);
      const outcomes = await Promise.allSettled(batch.map(([, run]) => run()));
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.status === 'fulfilled') succeeded++;
        // Losing a race to a deletion is allowed; a deadlock or lock error would be a bug here.
        else if (/deadlock detected|could not serialize|lock timeout/i.test(String(outcome.reason))) lockFailures.push(`${batch[i]![0]}: ${String(outcome.reason)}`);
      }
      const drift = [...(await recount())].filter(([, c]) => JSON.stringify(c.stored) !== JSON.stringify(c.recounted));
      expect(drift.map(([id, c]) => ({ id, ...c })), `after wave ${wave}: ${batch.map(([what]) => what).join('; ')}`).toEqual([]);
    }
    expect(lockFailures).toEqual([]);
    // The sequence really exercised the writes (most operations land).
    expect(succeeded).toBeGreaterThan((waves * perWave) / 2);
  }, 120_000);
});
