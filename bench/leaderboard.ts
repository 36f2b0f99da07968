/**
 * Leaderboard benchmark: what `GET /api/v1/classes/{classId}/leaderboard` costs in the data layer
 * on SQLite for the most-taken class: the ranking walking an index in its own order, against the
 * previous index, whose order did not match.
 *
 *   npx tsx bench/leaderboard.ts [--members N]   (npm run bench:leaderboard)
 *
 * It seeds N members (default 250,000; 5 workouts and 10 follows each, 10 classes) with
 * `paceline seed`'s generator into a temp SQLite file, so the most-taken class has 100k+
 * workouts, and copies the file (VACUUM INTO) with the previous index in place of the current one.
 *
 *   A  Paceline: `classes.leaderboard` on the current schema (index workouts_class_rank, in the
 *      ranking's exact order: output descending, start, id), walked until the limit
 *   B  the same statement on the previous index (class, output, start, all ascending), whose
 *      order the ranking can follow only in part
 *
 * Viewers are a seeded mix of members (some following ranked athletes). All variants must give the
 * same entries. Timed in interleaved rounds, order rotating; prints mean and p99 and ratios.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { UserViewer } from '../src/authz/viewer.js';
import { createDataLayer } from '../src/data/data-layer.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { makeTempDir } from './temp-dir.js';

const at = process.argv.indexOf('--members');
const members = at >= 0 ? Number(process.argv[at + 1]) : 250_000;
const limit = 20;
const rounds = 6;
const readsPerRound = 30;

type Entry = { totalOutputKj: number; userId: string | null };

/** Paceline's leaderboard on one database file, as entries to compare. */
async function leaderboardOn(database: Database, viewer: UserViewer, classId: string): Promise<Entry[]> {
  const entries = await createDataLayer(database).forViewer(viewer).classes.leaderboard(classId, limit);
  return (entries ?? []).map((e) => ({ totalOutputKj: e.totalOutputKj, userId: e.user?.id ?? null }));
}

const { dir } = makeTempDir('paceline-bench-leaderboard-');
const currentFile = path.join(dir, 'current.db');
const previousFile = path.join(dir, 'previous.db');
const current = openDatabase(`sqlite:${currentFile}`);
let previous: Database | undefined;
try {
  const data = createDataLayer(current);
  await data.migrate();
  await data.seed({ users: members, workoutsPerUser: 5, followsPerUser: 10, classes: 10, seed: 1 });
  const top = await current.db
    .selectFrom('workouts')
    .select(['class_id', sql<number>`count(*)`.as('n')])
    .where('class_id', 'is not', null)
    .groupBy('class_id')
    .orderBy('n', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const classId = top.class_id as string;
  await sql`vacuum into ${previousFile}`.execute(current.db);
  previous = openDatabase(`sqlite:${previousFile}`);
  await sql`drop index workouts_class_rank`.execute(previous.db);
  await sql`create index workouts_class_output on workouts (class_id, total_output_kj, started_at)`.execute(previous.db);

  // Viewers: followers of ranked athletes (who see some names) and anyone (who mostly does not).
  const ranked = await data.forViewer({ kind: 'system', reason: 'benchmark: who ranks' }).classes.leaderboard(classId, limit);
  const rankedIds = (ranked ?? []).flatMap((entry) => (entry.user ? [entry.user.id] : []));
  const followers = await current.db.selectFrom('follows').select('follower_id').where('followee_id', 'in', rankedIds.length > 0 ? rankedIds : ['-']).where('state', '=', 'approved').limit(50).execute();
  const anyone = await current.db.selectFrom('users').select('id').where('status', '=', 'active').limit(50).execute();
  const viewers: UserViewer[] = [...followers.map((f) => f.follower_id), ...anyone.map((u) => u.id)].map((userId) => ({
    kind: 'user',
    userId,
    role: 'member',
    scopes: new Set(['workouts:read']),
    credentialId: 'bench',
    credentialKind: 'session',
    securityStamp: '',
  }));

  const variants: [string, (viewer: UserViewer) => Promise<Entry[]>][] = [
    ['A Paceline, current index', (viewer) => leaderboardOn(current, viewer, classId)],
    ['B the same statement, previous index', (viewer) => leaderboardOn(previous as Database, viewer, classId)],
  ];
  let named = 0;
  for (const viewer of viewers) {
    const answers = await Promise.all(variants.map(([, read]) => read(viewer)));
    const [first] = answers.map((a) => JSON.stringify(a));
    if (answers.some((a) => JSON.stringify(a) !== first)) throw new Error(`variants disagree for viewer ${viewer.userId}`);
    named += (answers[0] ?? []).filter((e) => e.userId !== null).length;
  }

  const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, read] = variants[(k + round) % variants.length]!;
      for (let i = 0; i < readsPerRound; i++) {
        const viewer = viewers[(round * readsPerRound + i) % viewers.length] as UserViewer;
        const t0 = performance.now();
        await read(viewer);
        times.get(name)!.push(performance.now() - t0);
      }
    }
  }
  console.log(`SQLite, ${members.toLocaleString('en')} members; the most-taken class has ${Number(top.n).toLocaleString('en')} workouts; top ${limit}, ${viewers.length} viewers (${named} named entries seen in all); ${rounds * readsPerRound} reads per variant`);
  console.log('| Variant | mean ms | p99 ms | time vs A |');
  console.log('|-|-:|-:|-:|');
  let baseline = 0;
  for (const [name] of variants) {
    const sorted = [...times.get(name)!].sort((x, y) => x - y);
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    if (baseline === 0) baseline = mean;
    console.log(`| ${name} | ${mean.toFixed(2)} | ${(sorted[Math.floor(0.99 * sorted.length)] ?? 0).toFixed(2)} | ${(mean / baseline).toFixed(1)}× |`);
  }
} finally {
  await previous?.close();
  await current.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
