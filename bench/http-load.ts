/**
 * HTTP load benchmark: Paceline's hot routes under concurrent load over loopback, side by side
 * with a bare server's primary-key read of the same SQLite file, on an existing seeded database.
 *
 *   npx paceline seed --users 4000000 --workouts-per-user 3 --follows-per-user 2 --classes 5000 \
 *     --seed 1 --database-url sqlite:./data/4m.db
 *   npx tsx bench/http-load.ts --database-url sqlite:./data/4m.db [--seconds 10] [--connections 50] [--rounds 2]
 *   (npm run bench:http -- --database-url …)
 *
 * The servers run in a child process (the load generator, autocannon, in this one, so the two
 * do not share an event loop), both on 127.0.0.1:
 *
 *   a  GET /healthz: Paceline's fixed cost per request
 *   b  bare: Fastify + better-sqlite3, `select … from users where id = ?`, no auth, no rules
 *   c  GET /api/v1/users/{id} as a member: random members (public and private), the five most
 *      followed instructors (300k+ followers at 4M) and unknown ids
 *   d  GET /api/v1/workouts/{id}: random workouts, visible or not
 *   e  GET /api/v1/users?q= with two-letter prefixes
 *   f  GET /api/v1/classes/{id}/leaderboard of the most-taken class
 *
 * Every variant runs for --seconds at --connections, in --rounds interleaved rounds with the order
 * rotating. It prints requests/s, latency p50 and p99, non-2xx answers (404s of unknown ids are
 * expected), the server's event-loop delay p99 during the run, and each variant's throughput as a
 * ratio to the bare read. It only reads (one session is created for the member it reads as).
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { openDataLayer } from '../src/data/data-layer.js';
import { openDatabase } from '../src/db/database.js';
import { buildApp } from '../src/http/app.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback?: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const databaseUrl = flag('database-url');

interface Ready {
  paceline: number;
  bare: number;
  token: string;
  paths: Record<string, string[]>;
}

/** The child: both servers, the request targets, and event-loop delay on request. */
async function serve(url: string): Promise<void> {
  if (!url.startsWith('sqlite:')) throw new Error('the bare comparison reads SQLite: give a sqlite: database URL');
  const data = openDataLayer(url);
  const app = await buildApp({ data, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });

  const raw = new BetterSqlite3(url.slice('sqlite:'.length), { readonly: true });
  const byId = raw.prepare('select id, username, display_name, privacy_profile from users where id = ?');
  const bare = Fastify({ logger: false });
  bare.get<{ Params: { id: string } }>('/bare/:id', async (request, reply) => byId.get(request.params.id) ?? reply.code(404).send({}));
  await bare.listen({ host: '127.0.0.1', port: 0 });

  // Targets, sampled by rowid so no full scan is needed.
  const { db } = openDatabase(url);
  const sample = async (table: 'users' | 'workouts', n: number) => {
    const { rows } = await sql<{ max: number }>`select max(rowid) as max from ${sql.table(table)}`.execute(db);
    const max = Number(rows[0]?.max ?? 0);
    const ids: string[] = [];
    const pick = raw.prepare(`select id from ${table} where rowid = ?`);
    for (let i = 1; ids.length < n && i < n * 4; i++) {
      const row = pick.get(1 + ((i * 2_654_435_761) % max)) as { id: string } | undefined;
      if (row) ids.push(row.id);
    }
    return ids;
  };
  const members = await sample('users', 2000);
  const workouts = await sample('workouts', 2000);
  const stars = (await db.selectFrom('users').select('id').where('role', '=', 'instructor').orderBy('username').limit(5).execute()).map((r) => r.id);
  const busiest = raw.prepare('select class_id from workouts where class_id is not null group by class_id order by count(*) desc limit 1').get() as { class_id: string };
  const me = await data.accounts.findForLogin((await db.selectFrom('users').select('username').where('status', '=', 'active').where('role', '=', 'member').limit(1).executeTakeFirstOrThrow()).username);
  const session = me ? await data.accounts.startSession(me, 'paceline-bench', '127.0.0.1') : null;
  if (!session) throw new Error('no session for the member to read as');

  const userPaths = [
    ...members.map((id) => `/api/v1/users/${id}`),
    ...Array.from({ length: 400 }, (_, i) => `/api/v1/users/${stars[i % stars.length]}`),
    ...Array.from({ length: 200 }, () => `/api/v1/users/${randomUUID()}`),
  ];
  const paths: Record<string, string[]> = {
    a: ['/healthz'],
    b: members.map((id) => `/bare/${id}`),
    c: userPaths,
    d: workouts.map((id) => `/api/v1/workouts/${id}`),
    e: ['me', 'an', 'ma', 'jo', 'li', 'sa', 'ka', 'da', 'el', 'mi'].map((q) => `/api/v1/users?q=${q}`),
    f: [`/api/v1/classes/${busiest.class_id}/leaderboard?limit=20`],
  };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('message', (message: string) => {
    if (message === 'reset') delay.reset();
    if (message === 'report') process.send?.({ p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
    if (message === 'stop') void Promise.all([app.close(), bare.close()]).then(() => process.exit(0));
  });
  process.send?.({ paceline: (app.server.address() as AddressInfo).port, bare: (bare.server.address() as AddressInfo).port, token: session.secret, paths } satisfies Ready);
}

/** The parent: load each variant in turn and print the table. */
async function measure(url: string): Promise<void> {
  const seconds = Number(flag('seconds', '10'));
  const connections = Number(flag('connections', '50'));
  const rounds = Number(flag('rounds', '2'));
  const child = fork(fileURLToPath(import.meta.url), ['--serve', '--database-url', url], { execArgv: ['--import', 'tsx'] });
  const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const ready = await next<Ready>();
  const names: Record<string, string> = {
    a: 'a GET /healthz',
    b: 'b bare primary-key read',
    c: 'c GET /users/{id} (mix)',
    d: 'd GET /workouts/{id}',
    e: 'e GET /users?q= (2 letters)',
    f: 'f leaderboard, most-taken class',
  };
  const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; non2xx: number; loopP99: number[] }>();
  for (let round = 0; round < rounds; round++) {
    const keys = Object.keys(names);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[(k + round) % keys.length] as string;
      const list = ready.paths[key] ?? [];
      let at = 0;
      child.send('reset');
      const run = await autocannon({
        url: `http://127.0.0.1:${key === 'b' ? ready.bare : ready.paceline}`,
        connections,
        duration: seconds,
        headers: { authorization: `Bearer ${ready.token}` },
        requests: [{ setupRequest: (request) => ({ ...request, path: list[at++ % list.length] as string }) }],
      });
      child.send('report');
      const loop = await next<{ p99: number }>();
      const entry = results.get(key) ?? { rps: [], p50: [], p99: [], non2xx: 0, loopP99: [] };
      entry.rps.push(run.requests.average);
      entry.p50.push(run.latency.p50);
      entry.p99.push(run.latency.p99);
      entry.non2xx += run.non2xx;
      entry.loopP99.push(loop.p99);
      results.set(key, entry);
    }
  }
  child.send('stop');
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const bareRps = mean(results.get('b')?.rps ?? [1]);
  console.log(`${url}: ${connections} connections, ${seconds} s per variant per round, ${rounds} rounds`);
  console.log('| Variant | req/s | p50 ms | p99 ms | non-2xx | event-loop delay p99 ms | vs bare |');
  console.log('|-|-:|-:|-:|-:|-:|-:|');
  for (const [key, name] of Object.entries(names)) {
    const r = results.get(key);
    if (!r) continue;
    console.log(`| ${name} | ${Math.round(mean(r.rps)).toLocaleString('en')} | ${mean(r.p50).toFixed(1)} | ${Math.max(...r.p99).toFixed(1)} | ${r.non2xx} | ${Math.max(...r.loopP99).toFixed(1)} | ${(mean(r.rps) / bareRps).toFixed(2)}× |`);
  }
}

if (!databaseUrl) {
  console.error('usage: npx tsx bench/http-load.ts --database-url sqlite:<a seeded database> [--seconds 10] [--connections 50] [--rounds 2]');
  process.exit(2);
}
if (args.includes('--serve')) await serve(databaseUrl);
else await measure(databaseUrl);
