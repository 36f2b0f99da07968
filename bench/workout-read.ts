/**
 * Workout point-read benchmark: what `GET /api/v1/workouts/{id}` costs in the data layer on SQLite,
 * prepared once per kind of viewer against built and compiled on every call.
 *
 *   npx tsx bench/workout-read.ts [--members N]   (npm run bench:workouts)
 *
 * It seeds N members (default 50,000) with `paceline seed`'s generator, 5 workouts and 10 follows
 * each, into a temp SQLite file, then reads a seeded sequence of (viewer, workout) pairs: the
 * owner, a follower or a stranger, visible or not, plus unknown ids.
 *
 *   A  Paceline: the read prepared once (src/data/prepared-query.ts), viewer and id bound
 *   B  the same query built and compiled by Kysely on every call (the previous shape)
 *
 * Both must give the same answer for every pair. Timed in 10 interleaved rounds, order rotating;
 * prints ops/s, mean and p99 per read, and A/B.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { workoutVisibleTo } from '../src/authz/workout-visibility.js';
import type { UserViewer } from '../src/authz/viewer.js';
import { createDataLayer } from '../src/data/data-layer.js';
import { openDatabase } from '../src/db/database.js';
import { makeTempDir } from './temp-dir.js';

const at = process.argv.indexOf('--members');
const members = at >= 0 ? Number(process.argv[at + 1]) : 50_000;
const pairsPerRound = 4_000;
const rounds = 10;

const { dir } = makeTempDir('paceline-bench-workouts-');
const database = openDatabase(`sqlite:${path.join(dir, 'workouts.db')}`);
try {
  const data = createDataLayer(database);
  await data.migrate();
  await data.seed({ users: members, workoutsPerUser: 5, followsPerUser: 10, classes: 50, seed: 1 });
  const { db } = database;
  const userIds = (await db.selectFrom('users').select(['id', 'security_stamp']).where('status', '=', 'active').execute());
  const workoutIds = (await db.selectFrom('workouts').select(['id', 'user_id']).execute());

  // A seeded mix: a third owners, a third followers of the owner where there is one, a third anyone; 5 % unknown ids.
  let state = 1;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  const viewerOf = (id: string): UserViewer => ({ kind: 'user', userId: id, role: 'member', scopes: new Set(['workouts:read']), credentialId: 'bench', credentialKind: 'session', securityStamp: '' });
  const pairs: { viewer: UserViewer; id: string }[] = [];
  for (let i = 0; i < pairsPerRound; i++) {
    const workout = pick(workoutIds);
    const roll = random();
    let viewerId = pick(userIds).id;
    if (roll < 0.33) viewerId = workout.user_id;
    else if (roll < 0.66) {
      const follower = await db.selectFrom('follows').select('follower_id').where('followee_id', '=', workout.user_id).where('state', '=', 'approved').limit(1).executeTakeFirst();
      if (follower) viewerId = follower.follower_id;
    }
    pairs.push({ viewer: viewerOf(viewerId), id: random() < 0.05 ? '00000000-0000-7000-8000-000000000000' : workout.id });
  }

  const variants: [string, (pair: { viewer: UserViewer; id: string }) => Promise<unknown>][] = [
    ['A prepared once', (pair) => data.forViewer(pair.viewer).workouts.get(pair.id)],
    ['B built per call', (pair) => db.selectFrom('workouts').selectAll().where('workouts.id', '=', pair.id).where(workoutVisibleTo(pair.viewer)).executeTakeFirst()],
  ];
  let visible = 0;
  for (const pair of pairs) {
    const [a, b] = await Promise.all(variants.map(([, read]) => read(pair)));
    if ((a === null) !== (b === undefined) || (a && (a as { id: string }).id !== (b as { id: string }).id)) throw new Error(`A and B disagree on ${pair.id}`);
    if (a) visible++;
  }

  const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, read] = variants[(k + round) % variants.length]!;
      const list = times.get(name)!;
      for (const pair of pairs) {
        const t0 = performance.now();
        await read(pair);
        list.push(performance.now() - t0);
      }
    }
  }
  console.log(`SQLite, ${members.toLocaleString('en')} members, ${workoutIds.length.toLocaleString('en')} workouts; ${pairs.length} pairs (${visible} visible) × ${rounds} rounds per variant`);
  console.log('| Variant | ops/s | mean µs | p99 µs | ops/s vs A |');
  console.log('|-|-:|-:|-:|-:|');
  let baseline = 0;
  for (const [name] of variants) {
    const sorted = [...times.get(name)!].sort((x, y) => x - y);
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    const ops = 1000 / mean;
    if (baseline === 0) baseline = ops;
    const p99 = sorted[Math.floor(0.99 * sorted.length)] ?? 0;
    console.log(`| ${name} | ${Math.round(ops).toLocaleString('en')} | ${(mean * 1000).toFixed(1)} | ${(p99 * 1000).toFixed(1)} | ${(ops / baseline).toFixed(2)}× |`);
  }
} finally {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
