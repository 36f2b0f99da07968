/**
 * Member search benchmark: what `GET /api/v1/users?q=` costs in the data layer as the number of
 * members a prefix matches grows, on SQLite and PostgreSQL.
 *
 *   npx tsx bench/search.ts [--members N] [--dialect sqlite|postgres|both]   (npm run bench:search)
 *   npx tsx bench/search.ts --database-url sqlite:./data/4m.db --rounds 2 --searches 5
 *     (an existing seeded database, only read; fewer searches, since B takes seconds there)
 *
 * It seeds N members with `paceline seed`'s generator (no workouts, two follows each), so every
 * username starts with "member": `q=me` matches all N members, `q=member00001` a handful.
 *
 *   A  Paceline: two ordered, limited index range scans (username, display name) merged by key
 *   B  the previous shape: one statement ORing both ranges, ordered by username, then LIMIT,
 *      which reads, block-checks and sorts every match before it can take the first 20
 *
 * Each (variant, query) pair is timed over the same number of first-page searches (limit 20) as
 * a member, in interleaved rounds with the order rotating. It prints mean and p99 per search, and
 * B/A (how many times slower B is). PostgreSQL runs when PACELINE_BENCH_POSTGRES_URL (or the local
 * server at postgres://postgres@127.0.0.1:5432/postgres) answers; it uses a throw-away database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pg from 'pg';
import { userVisibleTo } from '../src/authz/user-visibility.js';
import type { UserViewer } from '../src/authz/viewer.js';
import { createDataLayer } from '../src/data/data-layer.js';
import { cardColumns } from '../src/data/views.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { makeTempDir } from './temp-dir.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const members = Number(flag('members') ?? 300_000);
const existing = flag('database-url');
const dialects = (flag('dialect') ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [flag('dialect') as string];
const rounds = Number(flag('rounds') ?? 5);
const searchesPerRound = Number(flag('searches') ?? 40);
const queries = ['me', 'member', 'member0', 'member00001', 'an', 'mar', 'zq'];
const postgresUrl = process.env.PACELINE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Search = (q: string) => Promise<unknown[]>;

/** B: the statement search used before, rebuilt here for comparison. */
function previousShape(database: Database, viewer: UserViewer): Search {
  const visible = userVisibleTo(viewer);
  return (query) => {
    const key = query.toLowerCase();
    const upper = `${key}\u{10FFFF}`;
    return database.db
      .selectFrom('users')
      .select(cardColumns)
      .where(visible)
      .where('users.privacy_searchable', '=', 1)
      .where((eb) =>
        eb.or([
          eb.and([eb('users.username', '>=', key), eb('users.username', '<', upper)]),
          eb.and([eb('users.display_name_key', '>=', key), eb('users.display_name_key', '<', upper)]),
        ]),
      )
      .orderBy('users.username')
      .limit(21)
      .execute();
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function openFor(dialect: string): Promise<{ database: Database; dispose: () => Promise<void> } | null> {
  if (existing) {
    const database = openDatabase(existing);
    return { database, dispose: () => database.close() };
  }
  if (dialect === 'sqlite') {
    const { dir } = makeTempDir('paceline-bench-search-');
    const database = openDatabase(`sqlite:${path.join(dir, 'search.db')}`);
    return {
      database,
      async dispose() {
        await database.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const admin = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    console.log(`PostgreSQL: skipped (nothing answers at ${postgresUrl})`);
    return null;
  }
  const name = `paceline_bench_search_${process.pid}`;
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const database = openDatabase(url.toString());
  return {
    database,
    async dispose() {
      await database.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

async function run(dialect: string): Promise<void> {
  const opened = await openFor(dialect);
  if (!opened) return;
  const { database } = opened;
  try {
    const data = createDataLayer(database);
    const started = performance.now();
    if (!existing) {
      await data.migrate();
      await data.seed({ users: members, workoutsPerUser: 0, followsPerUser: 2, classes: 0, seed: 1 });
    }
    const seeded = existing ? 'an existing database' : `${members.toLocaleString('en')} members seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    if (dialect === 'postgres') await sql`analyze`.execute(database.db);

    const me = (await data.accounts.findForLogin('member000007')) ?? (await data.accounts.findForLogin('member0000007'));
    if (!me) throw new Error('no seeded member to search as');
    const viewer: UserViewer = { kind: 'user', userId: me.id, role: 'member', scopes: new Set(['profile:read']), credentialId: 'bench', credentialKind: 'session', securityStamp: me.securityStamp };
    const variants: [string, Search][] = [
      ['A Paceline (merged range scans)', async (q) => (await data.forViewer(viewer).users.search(q, { limit: 20 })).items],
      ['B previous (OR, sort, limit)', previousShape(database, viewer)],
    ];

    const counts = new Map<string, number>();
    for (const q of queries) {
      const upper = `${q}\u{10FFFF}`;
      const row = await database.db
        .selectFrom('users')
        .select(sql<number>`cast(count(*) as integer)`.as('n'))
        .where((eb) => eb.or([eb.and([eb('username', '>=', q), eb('username', '<', upper)]), eb.and([eb('display_name_key', '>=', q), eb('display_name_key', '<', upper)])]))
        .executeTakeFirst();
      counts.set(q, Number(row?.n ?? 0));
    }
    // The variants order differently (B by username only), so their first pages are compared as
    // sets where everything fits on one, and by size elsewhere.
    for (const q of queries) {
      const [a, b] = (await Promise.all(variants.map(([, search]) => search(q)))) as { id: string }[][];
      const ids = (rows: { id: string }[] = []) => rows.map((r) => r.id).sort().join();
      if ((counts.get(q) ?? 0) < 20 ? ids(a) !== ids(b) : a?.length !== 20) throw new Error(`A and B disagree on "${q}"`);
    }

    const times = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const q of queries) {
        for (const [name, search] of order) {
          const list = times.get(`${name}|${q}`) ?? [];
          for (let i = 0; i < searchesPerRound; i++) {
            const t0 = performance.now();
            await search(q);
            list.push(performance.now() - t0);
          }
          times.set(`${name}|${q}`, list);
        }
      }
    }

    console.log(`\n${dialect}: ${seeded}; ${rounds * searchesPerRound} first-page searches (limit 20) per variant and query`);
    console.log('| q | members matching | A mean ms | A p99 ms | B mean ms | B p99 ms | B/A |');
    console.log('|-|-:|-:|-:|-:|-:|-:|');
    for (const q of queries) {
      const stats = variants.map(([name]) => {
        const sorted = [...(times.get(`${name}|${q}`) ?? [])].sort((x, y) => x - y);
        return { mean: sorted.reduce((s, x) => s + x, 0) / sorted.length, p99: percentile(sorted, 0.99) };
      });
      const [a, b] = stats as [{ mean: number; p99: number }, { mean: number; p99: number }];
      console.log(`| ${q} | ${(counts.get(q) ?? 0).toLocaleString('en')} | ${a.mean.toFixed(3)} | ${a.p99.toFixed(3)} | ${b.mean.toFixed(3)} | ${b.p99.toFixed(3)} | ${(b.mean / a.mean).toFixed(1)}× |`);
    }
  } finally {
    await opened.dispose();
  }
}

for (const dialect of existing ? [existing.startsWith('sqlite:') ? 'sqlite' : 'postgres'] : dialects) await run(dialect);
