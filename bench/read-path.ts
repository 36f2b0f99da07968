/**
 * Read-path benchmark: what "GET /api/v1/users/{id}" costs on SQLite, from bearer secret to the
 * viewer-dependent profile or card, in Paceline's shape and in the alternatives worth knowing about.
 *
 *   npx tsx bench/read-path.ts        (or npm run bench)
 *
 * It builds a realistic data set in a temp-dir SQLite file opened exactly as the app opens it,
 * checks that every variant gives the same answers, then times the variants interleaved in rounds
 * over one seeded sequence of (viewer, target) pairs and prints ratios to Paceline's shape:
 *
 *   A  Paceline's shape: resolveCredential, then createUsersRepository(db, viewer).getById
 *   B  one hand-written statement joining credential, viewer, target, blocks and follows
 *   C  A on a Kysely whose SqliteDialect gets the bare database (every statement prepared anew)
 *   D  A over HTTP: buildApp + Fastify inject
 *   E  B prepared once on bare better-sqlite3 (no Kysely)
 *   F  A's two statements compiled once and prepared once on bare better-sqlite3 (no Kysely)
 *
 * bench/ may hold the database handle: the architecture rule that forbids it applies to src/ only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type Insertable, sql } from 'kysely';
import { hashSecret } from '../src/auth/tokens.js';
import { allScopes } from '../src/authz/scopes.js';
import type { UserViewer } from '../src/authz/viewer.js';
import { type AccountStore, createAccountStore } from '../src/data/accounts.js';
import { credentialLifetimes, issueCredential, touchIntervalMs } from '../src/data/credentials.js';
import { memberLocksFor } from '../src/data/member-locks.js';
import { createDataLayer } from '../src/data/data-layer.js';
import { type UserView, createUsersRepository } from '../src/data/users.js';
import { type ProfileRow, toCard, toProfile } from '../src/data/views.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { recountMemberCounters } from '../src/db/member-counters.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { DB, Discipline, WorkoutVisibility } from '../src/db/schema.js';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { randomId, timeOrderedId } from '../src/ids.js';
import { legacyGetById } from './legacy-profile-read.js';
import { makeTempDir } from './temp-dir.js';

const config = {
  seed: 20261128,
  members: 20_000,
  /** Each member follows 15–25 others (mean 20); a fifth of follows go to the most popular 1%. */
  followsPerMember: { min: 15, max: 25 },
  popularShare: 0.01,
  followsToPopular: 0.2,
  /** Requests to private profiles that are still pending rather than approved. */
  pendingToPrivate: 0.15,
  privateShare: 0.5,
  suspendedShare: 0.01,
  /** A tenth of members block 1–3 others (blocking ends follows both ways, as the app does). */
  blockerShare: 0.1,
  workoutsPerMember: { min: 0, max: 10 },
  /**
   * The heavy tail: member 0 (the star) is also followed by this many fans, members who follow no
   * one else and never view or get viewed in the timed mix. 1% of fans are suspended, and every
   * 50th member blocks 3 fans, so the star's counts need both of the read's corrections.
   */
  star: { fans: 110_000, fanSuspendedShare: 0.01, fanBlockerEvery: 50, fanBlocksEach: 3 },
  /** Profile reads of the star, per variant, in the star phase (A0 takes a few hundred ms each). */
  starOps: 300,
  /** Reads of the star by A alone afterwards, per kind of viewer: enough for a p99 that is not one unlucky read. */
  starAloneOps: 2_000,
  /** Members who also hold an expired session (used only by the equality check). */
  expiredShare: 0.02,
  /** Timed targets: the viewer's own profile, someone they follow (or asked to), anyone. */
  targetMix: { self: 0.05, followee: 0.45 },
  /** Pairs from the timed mix checked on B, E and F; C and D (slow, and A's own code) on the first few. */
  verifyPairs: 500,
  verifyAllVariantsPairs: 150,
  /** Pairs per kind of edge case (blocks, pending follows, suspended members, expired sessions…). */
  edgeCases: 25,
  warmupOps: 300,
  calibrationOps: 200,
  rounds: 10,
  /** The timed phase is sized from the calibration so the whole run stays well under a minute. */
  timedBudgetMs: 25_000,
  opsBounds: { min: 2_000, max: 40_000 },
};

// ---------------------------------------------------------------------------------------------
// Small helpers

/** mulberry32: a tiny seeded generator, so every run draws the same data shape and pairs. */
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

function intBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Index access that fails loudly instead of widening every read to `T | undefined`. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`index ${index} out of range (${items.length})`);
  return item;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return at(items, Math.floor(random() * items.length));
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * better-sqlite3 is synchronous, so a run of awaits on it never reaches the event loop, and a
 * Ctrl-C would not be handled until it does (tsx kills its child ~60 ms after relaying the
 * signal, before any cleanup). Long loops call this; timed loops call it between requests.
 */
let lastYield = performance.now();
async function letSignalsIn(): Promise<void> {
  if (performance.now() - lastYield < 20) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastYield = performance.now();
}


const int = (n: number) => Math.round(n).toLocaleString('en-US');
const micros = (ms: number) => (ms * 1000).toFixed(1);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Data set

interface Dataset {
  ids: string[];
  suspended: Uint8Array;
  /** Everyone each member follows or has asked to follow (approved and pending). */
  followees: number[][];
  blocks: [blocker: number, blocked: number][];
  pendingPairs: [follower: number, followee: number][];
  /** One live session secret per member (suspended members too: their sessions must fail). */
  secrets: string[];
  expiredSecrets: string[];
  /** Members who blocked some of the star's fans. */
  fanBlockers: number[];
  counts: { follows: number; pending: number; blocks: number; workouts: number; credentials: number; privateProfiles: number; maxFollowers: number; fans: number; starFollowers: number };
}

const placeholderPasswordHash = '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2g$bm90LWEtcmVhbC1oYXNo';
const cities = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Nairobi', 'Leeds', 'Lyon', 'Perth'];
const disciplines: Discipline[] = ['cycling', 'running', 'rowing', 'strength', 'yoga'];

/**
 * Builds the graph in memory from the seed, then writes it with the Kysely handle in one
 * transaction (multi-row inserts, batched under SQLite's bound-parameter limit). Credentials go
 * through the real issueCredential so their secrets, hashes and expiry clocks are the app's own.
 */
async function generate(database: Database): Promise<Dataset> {
  const random = seeded(config.seed);
  const n = config.members;
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const pairKey = (a: number, b: number) => a * n + b;

  const ids = Array.from({ length: n }, () => randomId());
  const isPrivate = new Uint8Array(n);
  const suspended = new Uint8Array(n);
  const users: Insertable<DB['users']>[] = [];
  for (let i = 0; i < n; i++) {
    isPrivate[i] = random() < config.privateShare ? 1 : 0;
    suspended[i] = random() < config.suspendedShare ? 1 : 0;
    const username = `member_${String(i).padStart(5, '0')}`;
    const displayName = `Member ${i}`;
    const created = iso(now - Math.floor(random() * 3 * 365 * 86_400_000));
    users.push({
      id: at(ids, i),
      username,
      email: `${username}@bench.invalid`,
      password_hash: placeholderPasswordHash,
      display_name: displayName,
      display_name_key: displayName.toLowerCase(),
      bio: random() < 0.6 ? `Rides ${intBetween(random, 1, 7)} times a week.` : null,
      location: random() < 0.5 ? pick(cities, random) : null,
      birthday: null,
      gender: null,
      weight_kg: null,
      height_cm: null,
      role: 'member',
      // Suspended after their sessions are issued (below), as an administrator would.
      status: 'active',
      privacy_profile: isPrivate[i] === 1 ? 'private' : 'public',
      privacy_searchable: 1,
      privacy_leaderboard: 'visible',
      privacy_default_workout_visibility: 'followers',
      created_at: created,
      updated_at: created,
      security_stamp: '',
    });
  }

  // The star is a public, active profile: its counts are computed on every read that shows it.
  isPrivate[0] = 0;
  suspended[0] = 0;
  at(users, 0).privacy_profile = 'public';

  const blocked = new Set<number>();
  const blocks: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (random() >= config.blockerShare) continue;
    for (let k = intBetween(random, 1, 3); k > 0; k--) {
      const j = Math.floor(random() * n);
      if (j === i || blocked.has(pairKey(i, j))) continue;
      blocked.add(pairKey(i, j)).add(pairKey(j, i));
      blocks.push([i, j]);
    }
  }

  // Popular members are the first 1% of ids: which ones does not matter, only that a few
  // members have hundreds of followers, as real graphs do (their counts are the slow reads).
  const popular = Math.max(1, Math.floor(n * config.popularShare));
  const followees: number[][] = [];
  const follows: Insertable<DB['follows']>[] = [];
  const pendingPairs: [number, number][] = [];
  const followerCounts = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const mine = new Set<number>();
    const want = intBetween(random, config.followsPerMember.min, config.followsPerMember.max);
    while (mine.size < want) {
      const j = random() < config.followsToPopular ? Math.floor(random() * popular) : Math.floor(random() * n);
      if (j === i || mine.has(j) || blocked.has(pairKey(i, j))) continue;
      mine.add(j);
      const pending = isPrivate[j] === 1 && random() < config.pendingToPrivate;
      if (pending) pendingPairs.push([i, j]);
      else followerCounts[j] = (followerCounts[j] ?? 0) + 1;
      follows.push({ follower_id: at(ids, i), followee_id: at(ids, j), state: pending ? 'pending' : 'approved', created_at: iso(now - Math.floor(random() * 365 * 86_400_000)) });
    }
    followees.push([...mine]);
  }

  const star = 0;
  const fanIds = Array.from({ length: config.star.fans }, () => randomId());
  const fanUsers: Insertable<DB['users']>[] = fanIds.map((id, i) => {
    const username = `fan_${String(i).padStart(6, '0')}`;
    const created = iso(now - Math.floor(random() * 3 * 365 * 86_400_000));
    return {
      ...at(users, 0),
      id,
      username,
      email: `${username}@bench.invalid`,
      display_name: `Fan ${i}`,
      display_name_key: `fan ${i}`,
      bio: null,
      location: null,
      status: random() < config.star.fanSuspendedShare ? 'suspended' : 'active',
      privacy_profile: 'public',
      created_at: created,
      updated_at: created,
    };
  });
  const fanFollows: Insertable<DB['follows']>[] = fanIds.map((id) => ({ follower_id: id, followee_id: at(ids, star), state: 'approved', created_at: iso(now - Math.floor(random() * 365 * 86_400_000)) }));
  followerCounts[star] = (followerCounts[star] ?? 0) + fanIds.length;
  const fanBlockers: number[] = [];
  const fanBlockRows: Insertable<DB['blocks']>[] = [];
  for (let i = 1; i < n; i += config.star.fanBlockerEvery) {
    fanBlockers.push(i);
    const chosen = new Set<string>();
    while (chosen.size < config.star.fanBlocksEach) chosen.add(pick(fanIds, random));
    for (const fan of chosen) fanBlockRows.push({ blocker_id: at(ids, i), blocked_id: fan, created_at: iso(now) });
  }

  const visibilities: WorkoutVisibility[] = ['public', 'public', 'followers', 'followers', 'only_me'];
  const workouts: Insertable<DB['workouts']>[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = intBetween(random, config.workoutsPerMember.min, config.workoutsPerMember.max); k > 0; k--) {
      const started = now - Math.floor(random() * 365 * 86_400_000);
      const duration = intBetween(random, 10, 90) * 60;
      workouts.push({
        id: timeOrderedId(),
        user_id: at(ids, i),
        class_id: null,
        discipline: pick(disciplines, random),
        title: `${duration / 60} min ride`,
        started_at: iso(started),
        duration_seconds: duration,
        total_output_kj: Math.round(duration * (1 + random())) / 10,
        avg_cadence_rpm: intBetween(random, 60, 100),
        avg_heart_rate_bpm: intBetween(random, 110, 160),
        max_heart_rate_bpm: intBetween(random, 160, 190),
        distance_km: Math.round(duration * random()) / 100,
        calories: intBetween(random, 100, 900),
        visibility: pick(visibilities, random),
        created_at: iso(started + duration * 1000),
      });
    }
  }

  const secrets: string[] = [];
  const expiredSecrets: string[] = [];
  await database.db.transaction().execute(async (trx) => {
    // Batch sizes keep each statement under ~16k bound parameters.
    const blockRows = blocks.map(([a, b]) => ({ blocker_id: at(ids, a), blocked_id: at(ids, b), created_at: iso(now) }));
    for (const batch of chunks(users, 800)) {
      await trx.insertInto('users').values(batch).execute();
      await letSignalsIn();
    }
    for (const batch of chunks(fanUsers, 800)) {
      await trx.insertInto('users').values(batch).execute();
      await letSignalsIn();
    }
    for (const batch of chunks([...blockRows, ...fanBlockRows], 4_000)) await trx.insertInto('blocks').values(batch).execute();
    for (const batch of chunks(fanFollows, 2_000)) {
      await trx.insertInto('follows').values(batch).execute();
      await letSignalsIn();
    }
    for (const batch of chunks(follows, 2_000)) {
      await trx.insertInto('follows').values(batch).execute();
      await letSignalsIn();
    }
    for (const batch of chunks(workouts, 1_000)) {
      await trx.insertInto('workouts').values(batch).execute();
      await letSignalsIn();
    }
    const sessionEnd = new Date(now + credentialLifetimes.session.absoluteMs);
    for (let i = 0; i < n; i++) {
      const session = { userId: at(ids, i), securityStamp: '', kind: 'session', scopes: allScopes, userAgent: 'paceline-bench' } as const;
      const issued = await issueCredential(trx, { ...session, expiresAt: sessionEnd });
      if (!issued) throw new Error('bench: a session was not issued');
      secrets.push(issued.secret);
      if (random() < config.expiredShare) {
        const expired = await issueCredential(trx, { ...session, expiresAt: new Date(now - 3_600_000) });
        if (!expired) throw new Error('bench: a session was not issued');
        expiredSecrets.push(expired.secret);
      }
      await letSignalsIn();
    }
    const suspendedIds = ids.filter((_, i) => suspended[i] === 1);
    for (let i = 0; i < suspendedIds.length; i += 500) {
      await trx.updateTable('users').set({ status: 'suspended' }).where('id', 'in', suspendedIds.slice(i, i + 500)).execute();
    }
    // The rows went in directly, so the counters the API keeps on write are recounted, as the
    // seed does.
    await recountMemberCounters(trx);
  });
  // A long-running server's database is checkpointed; start timing from that state, not from
  // a WAL holding the whole bulk load.
  await sql`pragma wal_checkpoint(truncate)`.execute(database.db);

  return {
    ids,
    suspended,
    followees,
    blocks,
    pendingPairs,
    secrets,
    expiredSecrets,
    fanBlockers,
    counts: {
      follows: follows.length,
      pending: pendingPairs.length,
      blocks: blocks.length,
      workouts: workouts.length,
      credentials: secrets.length + expiredSecrets.length,
      privateProfiles: isPrivate.reduce((sum, p) => sum + p, 0),
      maxFollowers: followerCounts.reduce((max, c) => Math.max(max, c), 0),
      fans: fanIds.length,
      starFollowers: followerCounts[star] ?? 0,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The variants

interface Pair {
  secret: string;
  targetId: string;
}

/** What the endpoint answers: the view, or the two ways of answering nothing (401 and 404). */
type Answer = UserView | 'unauthenticated' | 'absent';

/** A (and C, on another handle): the session resolved once, then one viewer-scoped statement. */
function pacelineShape(db: Kysely<DB>): (pair: Pair) => Promise<Answer> {
  // Created once, as createDataLayer does; the users repository is per request, as forViewer makes it.
  const accounts: AccountStore = createAccountStore(db, memberLocksFor('sqlite'));
  return async ({ secret, targetId }) => {
    const viewer: UserViewer | null = await accounts.resolveCredential(secret);
    if (!viewer) return 'unauthenticated';
    return (await createUsersRepository(db, viewer).getById(targetId)) ?? 'absent';
  };
}

/** A0: A with the counts computed from the rows on every read, as before member counters. */
function legacyShape(db: Kysely<DB>): (pair: Pair) => Promise<Answer> {
  const accounts: AccountStore = createAccountStore(db, memberLocksFor('sqlite'));
  return async ({ secret, targetId }) => {
    const viewer: UserViewer | null = await accounts.resolveCredential(secret);
    if (!viewer) return 'unauthenticated';
    return (await legacyGetById(db, viewer, targetId)) ?? 'absent';
  };
}

/** A hand-written statement with named inputs, turned into positional `?` once for both drivers. */
function statement<Name extends string>(strings: TemplateStringsArray, ...names: Name[]) {
  return {
    text: strings.join('?'),
    bind: (input: Record<Name, string>): string[] => names.map((name) => input[name]),
  };
}

/**
 * B: credential, viewer, target, blocks and the viewer's follow edge joined in one statement, with
 * the same rules as src/authz (active members, blocks either way, approved follows only) and the
 * same masks. The outer row exists iff the credential is live (else 401); its target columns are
 * null iff the target is not visible (404). Counts stay correlated subqueries: as joins they would
 * multiply each other's rows. Counts are the stored counters corrected for the viewer's blocks,
 * as src/data/profile-counts.ts computes them.
 */
const singleJoin = statement<'hash' | 'now' | 'target'>`
  select
    s.viewer_id, s.id, s.username, s.display_name, s.privacy_profile, s.profile_visible,
    case when s.profile_visible = 1 then s.bio end as bio,
    case when s.profile_visible = 1 then s.location end as location,
    case when s.profile_visible = 1 then s.created_at end as created_at,
    case when s.profile_visible = 1 then s.follower_count - (
      select count(*) from blocks b join users m on m.id = b.blocked_id and m.status = 'active'
      where b.blocker_id = s.viewer_id
        and exists (select 1 from follows f where f.follower_id = m.id and f.followee_id = s.id and f.state = 'approved')
    ) - (
      select count(*) from blocks b join users m on m.id = b.blocker_id and m.status = 'active'
      where b.blocked_id = s.viewer_id
        and not exists (select 1 from blocks b2 where b2.blocker_id = s.viewer_id and b2.blocked_id = m.id)
        and exists (select 1 from follows f where f.follower_id = m.id and f.followee_id = s.id and f.state = 'approved')
    ) end as follower_count,
    case when s.profile_visible = 1 then s.following_count - (
      select count(*) from blocks b join users m on m.id = b.blocked_id and m.status = 'active'
      where b.blocker_id = s.viewer_id
        and exists (select 1 from follows f where f.follower_id = s.id and f.followee_id = m.id and f.state = 'approved')
    ) - (
      select count(*) from blocks b join users m on m.id = b.blocker_id and m.status = 'active'
      where b.blocked_id = s.viewer_id
        and not exists (select 1 from blocks b2 where b2.blocker_id = s.viewer_id and b2.blocked_id = m.id)
        and exists (select 1 from follows f where f.follower_id = s.id and f.followee_id = m.id and f.state = 'approved')
    ) end as following_count,
    case when s.profile_visible = 1 then
      s.workout_count_public
      + case when s.id = s.viewer_id or s.follows_target = 1 then s.workout_count_followers else 0 end
      + case when s.id = s.viewer_id then s.workout_count_only_me else 0 end
    end as workout_count
  from (
    select
      v.id as viewer_id,
      t.id, t.username, t.display_name, t.privacy_profile, t.bio, t.location, t.created_at,
      t.follower_count, t.following_count, t.workout_count_public, t.workout_count_followers, t.workout_count_only_me,
      fa.follower_id is not null as follows_target,
      case
        when t.id is null then null
        when t.id = v.id or t.privacy_profile = 'public' or fa.follower_id is not null then 1
        else 0
      end as profile_visible
    from credentials c
    join users v on v.id = c.user_id
    left join blocks b1 on b1.blocker_id = v.id and b1.blocked_id = ${'target'}
    left join blocks b2 on b2.blocker_id = ${'target'} and b2.blocked_id = v.id
    left join users t on t.id = ${'target'} and t.status = 'active' and b1.blocker_id is null and b2.blocker_id is null
    left join follows fa on fa.follower_id = v.id and fa.followee_id = t.id and fa.state = 'approved'
    where c.token_hash = ${'hash'} and c.expires_at > ${'now'} and c.idle_expires_at > ${'now'} and v.status = 'active'
  ) s
`;

interface SingleJoinRow extends Omit<ProfileRow, 'id'> {
  viewer_id: string;
  id: string | null;
  profile_visible: number | null;
}

function singleJoinAnswer(row: SingleJoinRow | undefined): Answer {
  if (!row) return 'unauthenticated';
  if (row.id === null) return 'absent';
  const visible = row as ProfileRow & { profile_visible: number };
  return visible.profile_visible === 1 ? { view: 'profile', user: toProfile(visible) } : { view: 'card', user: toCard(visible) };
}

// The single-join variants hash the secret and read the clock like resolveCredential does, so
// the comparison is of query shape, not of skipped work.
const singleJoinInput = (secret: string, target: string) => ({ hash: hashSecret(secret), now: new Date().toISOString(), target });

/** B: the single statement through the same Kysely handle (statement cache, driver, mutex) as A. */
function singleJoinKysely(db: Kysely<DB>): (pair: Pair) => Promise<Answer> {
  return async ({ secret, targetId }) => {
    const query = CompiledQuery.raw(singleJoin.text, singleJoin.bind(singleJoinInput(secret, targetId))) as CompiledQuery<SingleJoinRow>;
    const { rows } = await db.executeQuery(query);
    return singleJoinAnswer(rows[0]);
  };
}

/** E: the same statement prepared once on a bare better-sqlite3 handle: no Kysely at all. */
function singleJoinRaw(raw: BetterSqlite3.Database): (pair: Pair) => Promise<Answer> {
  const prepared = raw.prepare<unknown[], SingleJoinRow>(singleJoin.text);
  return async ({ secret, targetId }) => singleJoinAnswer(prepared.get(...singleJoin.bind(singleJoinInput(secret, targetId))));
}

/**
 * Kysely compiles values to parameters, so a statement compiled once with marker values has the
 * SQL text of every request; binding swaps each marker for the request's value.
 */
function withMarkers<Name extends string>(compiled: CompiledQuery, names: readonly Name[]): (values: Record<Name, string>) => unknown[] {
  const slots = compiled.parameters.map((value) => names.find((name) => value === marker(name)));
  return (values) => compiled.parameters.map((value, i) => {
    const name = slots[i];
    return name === undefined ? value : values[name];
  });
}

const marker = (name: string) => `\u0000${name}`;

interface ResolveRow {
  id: string;
  kind: 'session' | 'token';
  last_used_at: string;
  expires_at: string;
  user_id: string;
}

/**
 * F: A's own two statements, compiled by Kysely once and prepared once on a bare handle. A − F is
 * what building and compiling them on every request costs; F − E is what the second statement
 * and A's SQL shape cost. The credential query mirrors resolveCredential's (not exported alone).
 */
function pacelineSqlRaw(db: Kysely<DB>, raw: BetterSqlite3.Database): (pair: Pair) => Promise<Answer> {
  const resolve = db
    .selectFrom('credentials')
    .innerJoin('users', 'users.id', 'credentials.user_id')
    .select(['credentials.id', 'credentials.kind', 'credentials.scopes', 'credentials.last_used_at', 'credentials.expires_at', 'credentials.security_stamp', 'users.id as user_id', 'users.role'])
    .where('credentials.token_hash', '=', marker('hash'))
    .whereRef('credentials.security_stamp', '=', 'users.security_stamp')
    .where('credentials.expires_at', '>', marker('now'))
    .where('credentials.idle_expires_at', '>', marker('now'))
    .where('users.status', '=', 'active')
    .compile();
  const markedViewer: UserViewer = { kind: 'user', userId: marker('viewer'), role: 'member', scopes: new Set(), credentialId: '', credentialKind: 'session', securityStamp: '' };
  const profile = createUsersRepository(db, markedViewer)
    .profileRead((eb) => eb('users.id', '=', marker('target')))
    .compile();
  const bindResolve = withMarkers(resolve, ['hash', 'now']);
  const bindProfile = withMarkers(profile, ['viewer', 'target']);
  const resolveStatement = raw.prepare<unknown[], ResolveRow>(resolve.sql);
  const profileStatement = raw.prepare<unknown[], ProfileRow & { profile_visible: number }>(profile.sql);
  const touch = raw.prepare('update credentials set last_used_at = ?, idle_expires_at = ? where id = ?');
  return async ({ secret, targetId }) => {
    const now = new Date();
    const nowText = now.toISOString();
    const credential = resolveStatement.get(...bindResolve({ hash: hashSecret(secret), now: nowText }));
    if (!credential) return 'unauthenticated';
    if (now.getTime() - Date.parse(credential.last_used_at) > touchIntervalMs) {
      const idleExpiry = Math.min(Date.parse(credential.expires_at), now.getTime() + credentialLifetimes[credential.kind].idleMs);
      touch.run(nowText, new Date(idleExpiry).toISOString(), credential.id);
    }
    const row = profileStatement.get(...bindProfile({ viewer: credential.user_id, target: targetId }));
    if (!row) return 'absent';
    return Number(row.profile_visible) === 1 ? { view: 'profile', user: toProfile(row) } : { view: 'card', user: toCard(row) };
  };
}

/** D: A behind Fastify: access gate, routing, validation, forViewer and response serialization. */
function overHttp(app: App): (pair: Pair) => Promise<{ status: number; payload: string }> {
  return async ({ secret, targetId }) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/users/${targetId}`, headers: { authorization: `Bearer ${secret}` } });
    // The body stays a string: parsing it is the client's cost, not the server's.
    return { status: response.statusCode, payload: response.payload };
  };
}

/** D answers with a status and body; errors are problem documents, so only their status is compared. */
function sameAnswer(key: string, got: unknown, expected: Answer): boolean {
  if (key !== 'D') return isDeepStrictEqual(got, expected);
  const { status, payload } = got as { status: number; payload: string };
  if (expected === 'unauthenticated') return status === 401;
  if (expected === 'absent') return status === 404;
  return status === 200 && isDeepStrictEqual(JSON.parse(payload), expected.user);
}

/** C's handle: better-sqlite3 opened as src/db/database.ts does, but handed to Kysely bare. */
function openUncached(file: string): { raw: BetterSqlite3.Database; db: Kysely<DB> } {
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  return { raw, db: new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) }) };
}

// ---------------------------------------------------------------------------------------------
// Pairs

/** The timed sequence: live, active viewers; targets from the mix in config.targetMix. */
function timedPairs(data: Dataset, count: number, seed: number): Pair[] {
  const random = seeded(seed);
  const viewers = data.ids.map((_, i) => i).filter((i) => data.suspended[i] === 0);
  const pairs: Pair[] = [];
  for (let k = 0; k < count; k++) {
    const viewer = pick(viewers, random);
    const roll = random();
    const mine = at(data.followees, viewer);
    let target: number;
    if (roll < config.targetMix.self) target = viewer;
    else if (roll < config.targetMix.self + config.targetMix.followee && mine.length > 0) target = pick(mine, random);
    else target = Math.floor(random() * data.ids.length);
    pairs.push({ secret: at(data.secrets, viewer), targetId: at(data.ids, target) });
  }
  return pairs;
}

/** Cases the timed mix rarely or never draws, each of which must still agree across variants. */
function edgePairs(data: Dataset, seed: number): Pair[] {
  const random = seeded(seed);
  const id = (i: number) => at(data.ids, i);
  const secret = (i: number) => at(data.secrets, i);
  const anyone = () => Math.floor(random() * data.ids.length);
  const pairs: Pair[] = [];
  const k = config.edgeCases;
  const someBlocks = data.blocks.slice(0, k);
  // Who follows each blocked-or-blocking member, so counts can be checked where a block hides one
  // of the target's followers (or followees) from the viewer.
  const involved = new Set(someBlocks.flat());
  const followersOf = new Map<number, number[]>();
  data.followees.forEach((mine, follower) => {
    for (const followee of mine) if (involved.has(followee)) followersOf.set(followee, [...(followersOf.get(followee) ?? []), follower]);
  });
  for (const [blocker, blocked] of someBlocks) {
    pairs.push({ secret: secret(blocker), targetId: id(blocked) }, { secret: secret(blocked), targetId: id(blocker) });
    for (const [viewer, hidden] of [[blocker, blocked], [blocked, blocker]] as const) {
      const followedByHidden = at(data.followees, hidden)[0];
      const followingHidden = followersOf.get(hidden)?.[0];
      if (followedByHidden !== undefined) pairs.push({ secret: secret(viewer), targetId: id(followedByHidden) });
      if (followingHidden !== undefined) pairs.push({ secret: secret(viewer), targetId: id(followingHidden) });
    }
  }
  for (const [follower, followee] of data.pendingPairs.slice(0, k)) pairs.push({ secret: secret(follower), targetId: id(followee) });
  const suspended = data.ids.map((_, i) => i).filter((i) => data.suspended[i] === 1);
  for (const member of suspended.slice(0, k)) {
    pairs.push({ secret: secret(anyone()), targetId: id(member) }, { secret: secret(member), targetId: id(anyone()) });
  }
  for (const expired of data.expiredSecrets.slice(0, k)) pairs.push({ secret: expired, targetId: id(anyone()) });
  for (let i = 0; i < k; i++) {
    pairs.push({ secret: secret(anyone()), targetId: randomId() });
    pairs.push({ secret: `pls_${'A'.repeat(43)}`, targetId: id(anyone()) });
  }
  // The most followed members: counts over hundreds of rows, each checked for blocks.
  for (let member = 0; member < k; member++) pairs.push({ secret: secret(anyone()), targetId: id(member) });
  // The star, read by members who blocked some of its fans and by anyone.
  pairs.push(...starPairs(data, 2 * k, seed + 1));
  return pairs;
}

/**
 * Reads of the star (member 0) by active members: by default half by members who blocked some of
 * its fans and half by anyone; `only` picks one of the two kinds of viewer.
 */
function starPairs(data: Dataset, count: number, seed: number, only?: 'fan-blockers' | 'others'): Pair[] {
  const random = seeded(seed);
  const fanBlockers = new Set(data.fanBlockers);
  const active = data.ids.map((_, i) => i).filter((i) => data.suspended[i] === 0 && i !== 0);
  const blockers = active.filter((i) => fanBlockers.has(i));
  const others = only === 'others' ? active.filter((i) => !fanBlockers.has(i)) : active;
  const from = (k: number) => (only === 'fan-blockers' || (only === undefined && k % 2 === 0) ? blockers : others);
  return Array.from({ length: count }, (_, k) => ({ secret: at(data.secrets, pick(from(k), random)), targetId: at(data.ids, 0) }));
}

// ---------------------------------------------------------------------------------------------
// Timing

interface Variant {
  key: string;
  label: string;
  run: (pair: Pair) => Promise<unknown>;
}

async function timeOps(variant: Variant, pairs: readonly Pair[], latencies?: Float64Array, offset = 0): Promise<number> {
  let total = 0;
  for (let i = 0; i < pairs.length; i++) {
    const started = performance.now();
    await variant.run(at(pairs, i));
    const elapsed = performance.now() - started;
    total += elapsed;
    if (latencies) latencies[offset + i] = elapsed;
    await letSignalsIn();
  }
  return total;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

/** Mean cost of `work` over `iterations` calls after a short warm-up, timed in slices between yields. */
async function costOf(work: () => unknown, iterations: number): Promise<number> {
  let total = 0;
  for (let done = -Math.min(300, iterations); done < iterations; done += 25) {
    const started = performance.now();
    for (let i = 0; i < 25; i++) work();
    if (done >= 0) total += performance.now() - started;
    await letSignalsIn();
  }
  return total / iterations;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = performance.now();
  const { dir, stale } = makeTempDir('paceline-bench-read-');
  const file = path.join(dir, 'bench.sqlite');
  const closers: (() => Promise<void> | void)[] = [];
  const removeTemp = () => fs.rmSync(dir, { recursive: true, force: true });
  // Ctrl-C still leaves no database behind.
  const onSignal = () => {
    removeTemp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const cpus = os.cpus();
    console.log('Paceline read-path benchmark: GET /api/v1/users/{id} on SQLite');
    const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
    console.log(`  machine   ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.platform()} ${os.release()}, node ${process.version}, load average ${load()}`);
    console.log(`  database  ${file} (WAL, synchronous=NORMAL, opened by openDatabase, migrated by migrateToLatest)`);
    if (stale > 0) console.log(`            removed ${stale} temp dir(s) left by killed runs`);

    const database = openDatabase(`sqlite:${file}`);
    closers.push(() => database.close());
    await migrateToLatest(database);
    const generateStarted = performance.now();
    const data = await generate(database);
    const c = data.counts;
    const sizeMb = fs.statSync(file).size / 1024 / 1024;
    console.log(
      `  data set  ${int(config.members)} members (${int(c.privateProfiles)} private, ${int(data.suspended.reduce((s, x) => s + x, 0))} suspended), ` +
        `${int(c.follows)} follows (${int(c.pending)} pending; most-followed member has ${int(c.maxFollowers)} approved followers), ` +
        `${int(c.blocks)} blocks, ${int(c.workouts)} workouts, ${int(c.credentials)} credentials; ` +
        `plus ${int(c.fans)} fans who follow only the star (member 0: ${int(c.starFollowers)} approved followers); ${sizeMb.toFixed(0)} MB, ` +
        `generated in ${seconds(performance.now() - generateStarted)}`,
    );

    // resolveCredential writes last_used_at when it is older than the touch interval. Freshening
    // it now keeps the timed phase a pure read path for every variant (B and E never write); any
    // writes that happen anyway are counted and reported below.
    const freshened = new Date().toISOString();
    await database.db.updateTable('credentials').set({ last_used_at: freshened }).where('expires_at', '>', freshened).execute();

    const uncached = openUncached(file);
    closers.push(() => uncached.db.destroy());
    // D shares A's handle (and so its statement cache), as the server would.
    const app = await buildApp({ data: createDataLayer(database) });
    await app.ready();
    closers.unshift(() => app.close());

    const paceline = pacelineShape(database.db);
    const variants: Variant[] = [
      { key: 'A', label: "Paceline's shape: resolveCredential + getById", run: paceline },
      { key: 'A0', label: 'A with counts recomputed per read (before counters)', run: legacyShape(database.db) },
      { key: 'B', label: 'single join, same Kysely handle', run: singleJoinKysely(database.db) },
      { key: 'C', label: "A with Kysely's default (no statement cache)", run: pacelineShape(uncached.db) },
      { key: 'D', label: 'A over HTTP (Fastify inject)', run: overHttp(app) },
      { key: 'E', label: 'B on bare better-sqlite3 (extra)', run: singleJoinRaw(uncached.raw) },
      { key: 'F', label: "A's statements prepared once, bare better-sqlite3 (extra)", run: pacelineSqlRaw(database.db, uncached.raw) },
    ];

    // Equality first: every variant must give A's answer, or the timings compare different work.
    // Edge cases come first so that C and D, checked on a prefix only, are checked on all of them.
    const verifyStarted = performance.now();
    const edges = edgePairs(data, config.seed + 3);
    const sample = [...edges, ...timedPairs(data, config.verifyPairs, config.seed + 2)];
    const allVariantsUpTo = edges.length + config.verifyAllVariantsPairs;
    const mismatches: string[] = [];
    const outcomes = new Map<string, number>();
    for (const [index, pair] of sample.entries()) {
      const expected = await paceline(pair);
      if (index >= edges.length) {
        const kind = typeof expected === 'string' ? expected : expected.view;
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      }
      await letSignalsIn();
      for (const variant of variants.slice(1)) {
        if ((variant.key === 'C' || variant.key === 'D') && index >= allVariantsUpTo) continue;
        const got = await variant.run(pair);
        if (!sameAnswer(variant.key, got, expected) && mismatches.length < 5) {
          mismatches.push(`${variant.key} differs from A for target ${pair.targetId}:\n    A: ${JSON.stringify(expected)}\n    ${variant.key}: ${JSON.stringify(got)}`);
        }
      }
    }
    if (mismatches.length > 0) {
      console.error(`\nABORTED: variants disagree with A; timings would compare different work.\n  ${mismatches.join('\n  ')}`);
      process.exitCode = 1;
      return;
    }
    const share = (kind: string) => `${kind} ${(((outcomes.get(kind) ?? 0) / config.verifyPairs) * 100).toFixed(1)}%`;
    console.log(
      `  checked   answers equal A's (view, masks, counts; D: status and body) on ${int(sample.length)} pairs for B, E and F, ${int(allVariantsUpTo)} for C and D, ` +
        `${int(edges.length)} of them edge cases (blocks both ways and blocks hiding a follower from the counts, pending follows, suspended members, expired and unknown sessions, unknown ids, most-followed targets); ` +
        `${seconds(performance.now() - verifyStarted)}`,
    );
    console.log(`  mix       timed-mix answers: ${['profile', 'card', 'absent'].map(share).join(', ')}`);

    // Warm-up (JIT, statement caches, page cache), then a short interleaved pass to size the run.
    const warmup = timedPairs(data, config.warmupOps + config.calibrationOps, config.seed + 4);
    const perOp = new Map<string, number>();
    for (const variant of variants) await timeOps(variant, warmup.slice(0, config.warmupOps));
    for (const variant of variants) perOp.set(variant.key, (await timeOps(variant, warmup.slice(config.warmupOps))) / config.calibrationOps);
    const perPairAll = [...perOp.values()].reduce((sum, ms) => sum + ms, 0);
    const rawOps = Math.floor(config.timedBudgetMs / perPairAll / config.rounds) * config.rounds;
    const ops = Math.min(config.opsBounds.max, Math.max(config.opsBounds.min, rawOps));
    const perRound = ops / config.rounds;

    const pairs = timedPairs(data, ops, config.seed + 1);
    const { self, followee } = config.targetMix;
    console.log(`  method    ${int(ops)} requests per variant: one seeded (viewer, target) sequence, the same pairs for every variant`);
    console.log(`            viewers: any active member's live session; targets: ${Math.round(self * 100)}% self, ${Math.round(followee * 100)}% someone the viewer follows or asked to, ${Math.round((1 - self - followee) * 100)}% any member`);
    console.log(`            ${config.rounds} rounds of ${int(perRound)}: each round runs every variant over the same slice, the order rotating per round`);
    console.log(
      `            warm-up ${int(config.warmupOps)} + sizing ${int(config.calibrationOps)} requests per variant first; one client awaiting each request ` +
        '(concurrency 1), so ops/s = requests / time spent in the variant',
    );

    const latencies = new Map(variants.map((v) => [v.key, new Float64Array(ops)]));
    const timedStarted = performance.now();
    for (let round = 0; round < config.rounds; round++) {
      const slice = pairs.slice(round * perRound, (round + 1) * perRound);
      for (let k = 0; k < variants.length; k++) {
        const variant = at(variants, (round + k) % variants.length);
        await timeOps(variant, slice, latencies.get(variant.key), round * perRound);
      }
    }
    const timedMs = performance.now() - timedStarted;

    const touched = await database.db
      .selectFrom('credentials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('last_used_at', '<>', freshened)
      .where('expires_at', '>', freshened)
      .executeTakeFirstOrThrow();

    // Reference costs behind the ratios: Kysely building and compiling A's profile statement,
    // and SQLite preparing it (what C pays on every request and the cache saves).
    const someViewer = await createAccountStore(database.db, memberLocksFor('sqlite')).resolveCredential(at(pairs, 0).secret);
    if (!someViewer) throw new Error('the first timed viewer did not resolve');
    const someTarget = at(pairs, 0).targetId;
    const compiled = createUsersRepository(database.db, someViewer).profileRead((eb) => eb('users.id', '=', someTarget)).compile();
    const compileMs = await costOf(() => createUsersRepository(database.db, someViewer).profileRead((eb) => eb('users.id', '=', someTarget)).compile(), 1_000);
    const prepareMs = await costOf(() => uncached.raw.prepare(compiled.sql), 300);

    const summary = variants.map((variant) => {
      const sorted = Float64Array.from(latencies.get(variant.key) ?? []).sort();
      const total = sorted.reduce((sum, ms) => sum + ms, 0);
      return { variant, opsPerSec: (ops / total) * 1000, mean: total / ops, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    });
    const baseline = at(summary, 0).opsPerSec;

    console.log('');
    const header = ['', 'variant', 'statements', 'ops/s', 'mean µs', 'p50 µs', 'p99 µs', 'ops/s vs A'];
    const statements: Record<string, string> = { A0: '2', A: '2', B: '1', C: '2 (prepared anew)', D: '2 + HTTP', E: '1', F: '2' };
    const rows = summary.map(({ variant, opsPerSec, mean, p50, p99 }) => [
      variant.key,
      variant.label,
      statements[variant.key] ?? '',
      int(opsPerSec),
      micros(mean),
      micros(p50),
      micros(p99),
      `${(opsPerSec / baseline).toFixed(2)}×`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => at(r, i).length)));
    const line = (cells: string[]) => cells.map((cell, i) => (i <= 2 ? cell.padEnd(at(widths, i)) : cell.padStart(at(widths, i)))).join('  ');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    // The star phase: the read the counters exist for, before (A0) and after (A), side by side.
    const starVariants = variants.filter((v) => ['A', 'A0', 'D'].includes(v.key));
    const starTimed = starPairs(data, config.starOps, config.seed + 5);
    const starViews = new Map<string, number>();
    for (const pair of starTimed) {
      const answer = await paceline(pair);
      const kind = typeof answer === 'string' ? answer : answer.view;
      starViews.set(kind, (starViews.get(kind) ?? 0) + 1);
    }
    for (const variant of starVariants) await timeOps(variant, starTimed.slice(0, 20));
    const starLatencies = new Map(starVariants.map((v) => [v.key, new Float64Array(config.starOps)]));
    const starPerRound = config.starOps / config.rounds;
    for (let round = 0; round < config.rounds; round++) {
      const slice = starTimed.slice(round * starPerRound, (round + 1) * starPerRound);
      for (let k = 0; k < starVariants.length; k++) {
        const variant = at(starVariants, (round + k) % starVariants.length);
        await timeOps(variant, slice, starLatencies.get(variant.key), round * starPerRound);
      }
    }
    // A alone, by each kind of viewer, with nothing in between: what the star costs, and what the
    // viewer's blocks add. Each sequence is run once untimed and then timed, as every pair of the
    // mix is read by several variants: a viewer's first read fetches their credential, row and
    // blocks from the OS into SQLite's small page cache, which costs more than the read itself.
    const alone: Variant[] = [
      { key: 'A1', label: `A alone, ${int(config.starAloneOps)} reads by members without blocks of fans`, run: paceline },
      { key: 'A2', label: `A alone, ${int(config.starAloneOps)} reads by members who blocked 3 fans`, run: paceline },
    ];
    for (const [i, variant] of alone.entries()) {
      const latencies = new Float64Array(config.starAloneOps);
      const sequence = starPairs(data, config.starAloneOps, config.seed + 6 + i, i === 0 ? 'others' : 'fan-blockers');
      await timeOps(variant, sequence);
      await timeOps(variant, sequence, latencies);
      starLatencies.set(variant.key, latencies);
    }
    const starSummary = [...starVariants, ...alone].map((variant) => {
      const sorted = Float64Array.from(starLatencies.get(variant.key) ?? []).sort();
      const total = sorted.reduce((sum, ms) => sum + ms, 0);
      return { variant, opsPerSec: (sorted.length / total) * 1000, mean: total / sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    });
    const starBaseline = at(starSummary, 0).opsPerSec;
    console.log('');
    console.log(
      `  star      ${int(config.starOps)} reads of the star per variant (${int(data.counts.starFollowers)} approved followers), half by members who blocked some of its fans; ` +
        `answers: ${[...starViews].map(([kind, n]) => `${kind} ${n}`).join(', ')}; ${config.rounds} interleaved rounds`,
    );
    const starRows = starSummary.map(({ variant, opsPerSec, mean, p50, p99 }) => [
      variant.key,
      variant.label,
      int(opsPerSec),
      micros(mean),
      micros(p50),
      micros(p99),
      `${(opsPerSec / starBaseline).toFixed(2)}×`,
      `${(p99 / at(starSummary, 0).p99).toFixed(2)}×`,
    ]);
    const starHeader = ['', 'variant', 'ops/s', 'mean µs', 'p50 µs', 'p99 µs', 'ops/s vs A', 'p99 vs A'];
    const starWidths = starHeader.map((h, i) => Math.max(h.length, ...starRows.map((r) => at(r, i).length)));
    const starLine = (cells: string[]) => cells.map((cell, i) => (i <= 1 ? cell.padEnd(at(starWidths, i)) : cell.padStart(at(starWidths, i)))).join('  ');
    console.log(starLine(starHeader));
    for (const row of starRows) console.log(starLine(row));

    console.log('');
    console.log(`  reference: Kysely builds + compiles A's profile statement in ${micros(compileMs)} µs; SQLite prepares it in ${micros(prepareMs)} µs (${int(compiled.sql.length)} chars, ${compiled.parameters.length} parameters)`);
    console.log(
      `  credential touch writes during the timed phase: ${int(touched.n)}` +
        (Number(touched.n) === 0 ? ` (run stayed inside the ${touchIntervalMs / 1000} s touch interval)` : ' (A, C, D and F include these writes; B and E never write)'),
    );
    // Other processes on the machine skew absolute figures more than ratios (rounds interleave).
    console.log(`  timed phase ${seconds(timedMs)}, whole run ${seconds(performance.now() - startedAt)}, load average now ${load()}`);
  } finally {
    for (const close of closers) await close();
    removeTemp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await main();
