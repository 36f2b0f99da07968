/**
 * Audit-scan benchmark: what a full `paceline audit` scan of Paceline costs, in requests per
 * second and total time, at different concurrencies and with the write checks on.
 *
 *   npx tsx bench/audit-scan.ts        (or npm run bench:audit)
 *
 * Every scan runs against a fresh Paceline (in-memory SQLite, migrated, buildApp, listening on
 * 127.0.0.1 on a free port) seeded through its own HTTP API with the same identities and content.
 * A fresh one each time is required, not just tidy: the login-throttling check sends wrong
 * passwords until Paceline answers 429, after which that account's logins wait a while.
 *
 *   A  read-only, concurrency 4 (the CLI default): the baseline
 *   B  read-only, concurrency 1
 *   C  read-only, concurrency 8
 *   D  --allow-writes, concurrency 4 (a failure is reported, not fatal)
 *
 * The variants run interleaved over several rounds, the order rotating per round, after one
 * untimed warm-up scan. Time is runAudit's own, from its call to its report (spec loading and
 * seeding are outside it). Server and auditor share one process and one event loop, as they do
 * in the tests; the split printed below is measured from the server's and the fetch's sides.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadIdentities } from '../src/audit/identities.js';
import type { AuditReport } from '../src/audit/report-model.js';
import { runAudit } from '../src/audit/run-audit.js';
import { loadSpec } from '../src/audit/spec.js';
import { hashPassword } from '../src/auth/passwords.js';
import { type DataLayer, openDataLayer } from '../src/data/data-layer.js';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { makeTempDir } from './temp-dir.js';

const config = {
  rounds: 10,
  /** No new round starts after this much wall time, so the run stays under about a minute. */
  budgetMs: 48_000,
  password: 'a long and unusual passphrase 42',
  canary: 'CANARYBIO7f3e',
  workoutsPerMember: 3,
};

interface VariantSpec {
  key: string;
  label: string;
  concurrency: number;
  allowWrites: boolean;
  /** Errors from in-progress code are reported and the variant dropped, not fatal. */
  mayFail?: boolean;
}

const variants: VariantSpec[] = [
  { key: 'A', label: 'read-only, concurrency 4 (default)', concurrency: 4, allowWrites: false },
  { key: 'B', label: 'read-only, concurrency 1', concurrency: 1, allowWrites: false },
  { key: 'C', label: 'read-only, concurrency 8', concurrency: 8, allowWrites: false },
  { key: 'D', label: '--allow-writes, concurrency 4', concurrency: 4, allowWrites: true, mayFail: true },
];

// ---------------------------------------------------------------------------------------------
// Small helpers


function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`index ${index} out of range (${items.length})`);
  return item;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms1 = (ms: number) => ms.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(0)}%`;
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/** Wall time covered by at least one of the intervals (overlapping requests count once). */
function busyMs(intervals: readonly (readonly [number, number])[], from: number, to: number): number {
  const sorted = intervals
    .map(([s, e]) => [Math.max(s, from), Math.min(e, to)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (s > end) {
      total += e - s;
      end = e;
    } else if (e > end) {
      total += e - end;
      end = e;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// One fresh Paceline, seeded through its HTTP API

interface Paceline {
  app: App;
  data: DataLayer;
  target: string;
  /** [start, end] of every request the HTTP server handled, from its 'request' event to 'finish'. */
  served: [number, number][];
  /** The same for POST /api/v1/auth/login alone (argon2 verification), with the status answered. */
  logins: [number, number, number][];
  close: () => Promise<void>;
}

async function startPaceline(): Promise<Paceline> {
  const data = openDataLayer('sqlite::memory:');
  let app: App | undefined;
  try {
    await data.migrate();
    app = await buildApp({ data, auth: { registrationsPerHour: 10_000 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await app?.close();
    await data.close();
    throw error;
  }
  const served: [number, number][] = [];
  const logins: [number, number, number][] = [];
  // Prepended, so the clock starts before Fastify's own listener runs.
  app.server.prependListener('request', (req, res) => {
    const started = performance.now();
    const login = req.method === 'POST' && (req.url ?? '').split('?')[0] === '/api/v1/auth/login';
    res.once('finish', () => {
      served.push([started, performance.now()]);
      if (login) logins.push([started, performance.now(), res.statusCode]);
    });
  });
  const opened = app;
  return {
    app,
    data,
    target: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    served,
    logins,
    close: async () => {
      await opened.close();
      await data.close();
    },
  };
}

/**
 * Members alice (private profile, canary bio), bob and carol (public); coach (instructor, one
 * class); root (admin, private). Workouts of every visibility for each member; follows both ways,
 * two pending requests to alice and an approved one to root. Injected, so none of it reaches the
 * server's request timing.
 */
async function seed({ app, data }: Paceline): Promise<void> {
  const { password, canary } = config;
  const call = async (method: string, url: string, body: unknown, token?: string) => {
    const res = await app.inject({ method: method as 'GET', url, payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.statusCode >= 300) throw new Error(`seeding: ${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.statusCode === 204 ? {} : (res.json() as Record<string, unknown>);
  };
  const hash = await hashPassword(password);
  for (const name of ['alice', 'bob', 'carol']) await call('POST', '/api/v1/auth/register', { username: name, email: `${name}@example.test`, password });
  await data.accounts.register({ username: 'coach', email: 'coach@example.test', passwordHash: hash, role: 'instructor' });
  await data.accounts.register({ username: 'root', email: 'root@example.test', passwordHash: hash, role: 'admin' });
  const token: Record<string, string> = {};
  const id: Record<string, string> = {};
  for (const name of ['alice', 'bob', 'carol', 'coach', 'root']) {
    const session = await call('POST', '/api/v1/auth/login', { login: name, password });
    token[name] = session.token as string;
    id[name] = (session.user as { id: string }).id;
  }
  const known = (table: Record<string, string>, name: string) => {
    const value = table[name];
    if (value === undefined) throw new Error(`seeding: no ${name}`);
    return value;
  };
  const as = (name: string) => known(token, name);
  const idOf = (name: string) => known(id, name);
  await call('PATCH', '/api/v1/me', { bio: canary, privacy: { profile: 'private' } }, as('alice'));
  await call('PATCH', '/api/v1/me', { privacy: { profile: 'private' } }, as('root'));
  await call('POST', '/api/v1/classes', { title: 'Hill climb', discipline: 'cycling', durationSeconds: 1800, difficulty: 6, airedAt: '2026-11-01T07:00:00.000Z' }, as('coach'));
  const visibilities = ['public', 'followers', 'only_me'] as const;
  for (const name of ['alice', 'bob', 'carol', 'coach']) {
    for (let k = 0; k < config.workoutsPerMember; k++) {
      const body = {
        discipline: 'cycling',
        title: `${name} ride ${k + 1}`,
        startedAt: new Date(Date.UTC(2026, 10, 1 + k, 7)).toISOString(),
        durationSeconds: 1800 + 300 * k,
        totalOutputKj: 300 + 10 * k,
        avgHeartRateBpm: 140,
        visibility: at(visibilities, k % visibilities.length),
      };
      await call('POST', '/api/v1/workouts', body, as(name));
    }
  }
  // No approved follower of alice: a follower may read her private profile, canary bio included,
  // which the auditor cannot tell from a leak. The approved request goes to root (no canaries).
  await call('POST', `/api/v1/users/${idOf('alice')}/follow`, {}, as('bob')); // stays pending
  await call('POST', `/api/v1/users/${idOf('alice')}/follow`, {}, as('carol')); // stays pending
  await call('POST', `/api/v1/users/${idOf('root')}/follow`, {}, as('bob'));
  await call('POST', `/api/v1/me/follow-requests/${idOf('bob')}/approve`, {}, as('root'));
  await call('POST', `/api/v1/users/${idOf('bob')}/follow`, {}, as('alice'));
  await call('POST', `/api/v1/users/${idOf('carol')}/follow`, {}, as('bob'));
  await call('POST', `/api/v1/users/${idOf('coach')}/follow`, {}, as('carol'));
}

function identitiesFileBody(): unknown {
  const login = (name: string) => ({ login: { path: '/api/v1/auth/login', json: { login: name, password: config.password }, token: 'body.token' } });
  return {
    version: 1,
    identities: {
      alice: { role: 'member', ...login('alice'), canaries: [config.canary, 'alice@example.test'] },
      bob: { role: 'member', ...login('bob'), canaries: ['bob@example.test'] },
      carol: { role: 'member', ...login('carol') },
      coach: { role: 'instructor', ...login('coach') },
      root: { role: 'admin', ...login('root') },
    },
    publicFields: ['id', 'username', 'displayName', 'isPrivate'],
  };
}

// ---------------------------------------------------------------------------------------------
// One scan

interface Scan {
  report: AuditReport;
  ms: number;
  /** Requests the auditor's fetch sent and the server handled during runAudit. */
  fetched: number;
  served: number;
  /** Wall time with at least one request inside the server / inside fetch (in flight). */
  serverBusyMs: number;
  loginBusyMs: number;
  fetchBusyMs: number;
  /** Sum of every fetch's duration: divided by scan time, the concurrency actually reached. */
  fetchSumMs: number;
  /** Logins during the scan, those answered 429, and the mean server time of the others. */
  logins: number;
  throttledLogins: number;
  verifyingLoginMs: number;
  setupMs: number;
}

async function scan(variant: VariantSpec, identitiesFile: string): Promise<Scan> {
  const setupStarted = performance.now();
  const paceline = await startPaceline();
  try {
    await seed(paceline);
    const spec = await loadSpec(`${paceline.target}/openapi.json`);
    const identities = await loadIdentities(identitiesFile);
    const inFetch: [number, number][] = [];
    const timedFetch: typeof fetch = async (input, init) => {
      const started = performance.now();
      try {
        return await fetch(input, init);
      } finally {
        inFetch.push([started, performance.now()]);
      }
    };
    const setupMs = performance.now() - setupStarted;
    paceline.served.length = 0;
    paceline.logins.length = 0;
    const started = performance.now();
    const report = await runAudit({
      spec,
      target: paceline.target,
      identities,
      concurrency: variant.concurrency,
      allowWrites: variant.allowWrites,
      allowDestructive: false,
      fetch: timedFetch,
    });
    const ended = performance.now();
    return {
      report,
      ms: ended - started,
      fetched: inFetch.length,
      served: paceline.served.length,
      serverBusyMs: busyMs(paceline.served, started, ended),
      loginBusyMs: busyMs(paceline.logins.map(([s, e]) => [s, e] as const), started, ended),
      fetchBusyMs: busyMs(inFetch, started, ended),
      fetchSumMs: inFetch.reduce((sum, [s, e]) => sum + (e - s), 0),
      logins: paceline.logins.length,
      throttledLogins: paceline.logins.filter(([, , status]) => status === 429).length,
      verifyingLoginMs: mean(paceline.logins.filter(([, , status]) => status !== 429).map(([s, e]) => e - s)),
      setupMs,
    };
  } finally {
    await paceline.close();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = performance.now();
  const { dir, stale } = makeTempDir('paceline-bench-audit-');
  const removeTemp = () => fs.rmSync(dir, { recursive: true, force: true });
  const onSignal = () => {
    removeTemp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const cpus = os.cpus();
    console.log('Paceline audit-scan benchmark: a full `paceline audit` (runAudit) against Paceline');
    console.log(`  machine   ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.platform()} ${os.release()}, node ${process.version}, load average ${load()}`);
    if (stale > 0) console.log(`            removed ${stale} temp dir(s) left by killed runs`);
    const identitiesFile = path.join(dir, 'identities.json');
    fs.writeFileSync(identitiesFile, JSON.stringify(identitiesFileBody(), null, 2));
    console.log(
      `  target    a fresh Paceline per scan: sqlite::memory:, migrated, buildApp, listening on 127.0.0.1:<free port>; seeded by inject with ` +
        `alice (private, canary bio), bob, carol, coach (instructor, 1 class), root (admin, private), ${config.workoutsPerMember} workouts per member ` +
        '(public, followers, only_me), follows incl. 2 pending requests to alice and an approved one to root',
    );
    console.log(`  auditor   runAudit in the same process; identities anonymous + the 5 above (${identitiesFile}); allowDestructive off`);

    // Untimed warm-up: JIT, module-level caches, argon2's thread pool.
    const warm = await scan(at(variants, 0), identitiesFile);
    console.log(`  warm-up   1 untimed scan of A: ${int(warm.report.requests)} requests, ${ms1(warm.ms)} ms; fresh Paceline + seeding ${ms1(warm.setupMs)} ms (not timed)`);
    const perRoundEstimate = (warm.ms + warm.setupMs) * variants.length * 1.5;
    console.log(
      `  method    ${config.rounds} rounds; each runs every variant once on its own fresh Paceline, the order rotating per round; ` +
        `time = runAudit call to report; requests/s = the report's requests / that time`,
    );
    console.log(`            no new round starts after ${seconds(config.budgetMs)} of wall time (estimated ${seconds(perRoundEstimate)} per round)`);

    const results = new Map<string, Scan[]>(variants.map((v) => [v.key, []]));
    const failed = new Map<string, string>();
    let roundsRun = 0;
    for (let round = 0; round < config.rounds; round++) {
      if (round > 0 && performance.now() - startedAt > config.budgetMs) break;
      for (let k = 0; k < variants.length; k++) {
        const variant = at(variants, (round + k) % variants.length);
        if (failed.has(variant.key)) continue;
        try {
          results.get(variant.key)?.push(await scan(variant, identitiesFile));
        } catch (error) {
          if (!variant.mayFail) throw error;
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          failed.set(variant.key, message);
          console.log(`  ${variant.key} failed: ${message}`);
        }
      }
      roundsRun++;
    }
    if (roundsRun < config.rounds) console.log(`  NOTE: stopped after ${roundsRun} of ${config.rounds} rounds to stay inside the time budget`);

    const summary = variants.map((variant) => {
      const scans = results.get(variant.key) ?? [];
      const requests = scans.map((s) => s.report.requests);
      const totalReq = requests.reduce((s, r) => s + r, 0);
      const totalMs = scans.reduce((s, x) => s + x.ms, 0);
      return {
        variant,
        scans,
        requests,
        meanMs: mean(scans.map((s) => s.ms)),
        reqPerSec: totalMs > 0 ? (totalReq / totalMs) * 1000 : Number.NaN,
        findings: scans.map((s) => s.report.findings.length),
      };
    });
    const baseline = at(summary, 0).reqPerSec;

    console.log('');
    const header = ['', 'variant', 'scans', 'requests/scan', 'mean scan ms', 'requests/s', 'findings', 'requests/s vs A', 'server busy', 'in logins', 'fetch in flight', 'mean in flight'];
    const rows = summary.map(({ variant, scans, requests, meanMs, reqPerSec, findings }) => {
      if (scans.length === 0) return [variant.key, variant.label, '0', failed.has(variant.key) ? 'failed' : '–', '', '', '', '', '', '', '', ''];
      const lo = Math.min(...requests);
      const hi = Math.max(...requests);
      const busy = (pick: (s: Scan) => number) => percent(scans.reduce((s, x) => s + pick(x), 0), scans.reduce((s, x) => s + x.ms, 0));
      return [
        variant.key,
        variant.label,
        String(scans.length),
        lo === hi ? int(lo) : `${int(mean(requests))} (${int(lo)}–${int(hi)})`,
        ms1(meanMs),
        int(reqPerSec),
        findings.every((f) => f === 0) ? '0' : findings.join('/'),
        `${(reqPerSec / baseline).toFixed(2)}×`,
        busy((s) => s.serverBusyMs),
        busy((s) => s.loginBusyMs),
        busy((s) => s.fetchBusyMs),
        (scans.reduce((s, x) => s + x.fetchSumMs, 0) / scans.reduce((s, x) => s + x.ms, 0)).toFixed(2),
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => cells.map((cell, i) => (i <= 1 ? cell.padEnd(at(widths, i)) : cell.padStart(at(widths, i)))).join('  ');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log('');
    console.log('  server busy: share of scan time with at least one request inside Paceline\'s HTTP server (its \'request\' event to the response\'s \'finish\').');
    console.log('  in logins: the same for POST /api/v1/auth/login alone (each verifies a password with argon2id); it is part of server busy.');
    console.log('  fetch in flight: share with at least one of the auditor\'s fetch calls awaiting response headers. The rest of the scan is the auditor');
    console.log('  alone (planning, reading bodies, comparing answers, and waiting on the shared event loop).');
    console.log('  mean in flight: the sum of all fetch durations / scan time, i.e. the concurrency the scan actually reached.');
    const serial = summary.find(({ variant }) => variant.concurrency === 1)?.scans ?? [];
    if (serial.length > 0) {
      const perScan = (pick: (s: Scan) => number) => int(mean(serial.map(pick)));
      console.log(
        `  logins per scan: ${perScan((s) => s.logins)} (one per identity, then wrong passwords one after another until the first 429), ${perScan((s) => s.throttledLogins)} of them answered 429 ` +
          `without verifying; a login that verifies a password takes ${ms1(mean(serial.map((s) => s.verifyingLoginMs)))} ms of server time at concurrency 1 (B).`,
      );
    }

    // Loud warnings: findings against Paceline are either a Paceline bug or an auditor false positive.
    for (const { variant, scans } of summary) {
      const withFindings = scans.filter((s) => s.report.findings.length > 0);
      if (withFindings.length === 0) continue;
      const first = at(withFindings, 0).report.findings;
      console.log('');
      console.log(`  !!! WARNING: ${variant.key} reported findings against Paceline in ${withFindings.length} of ${scans.length} scans (expected none). First scan's:`);
      for (const f of first.slice(0, 8)) console.log(`  !!!   ${f.check} ${f.operation.method} ${f.operation.path}: ${f.title}`);
      if (first.length > 8) console.log(`  !!!   … and ${first.length - 8} more`);
    }
    // Counting cross-check: the report's count against what fetch and the server saw.
    for (const { variant, scans } of summary) {
      const off = scans.filter((s) => s.report.requests !== s.fetched || s.fetched !== s.served);
      if (off.length === 0) continue;
      const s = at(off, 0);
      console.log(`  note: ${variant.key}'s report counts ${int(s.report.requests)} requests; fetch sent ${int(s.fetched)}, the server handled ${int(s.served)} (${off.length} of ${scans.length} scans differ)`);
    }
    const skipped = new Map<string, number>();
    for (const { scans } of summary.slice(0, 1).filter((s) => s.scans.length > 0)) {
      for (const c of at(scans, 0).report.coverage) for (const v of Object.values(c.checks)) if (typeof v === 'string' && v.startsWith('skipped')) skipped.set(v, (skipped.get(v) ?? 0) + 1);
    }
    if (skipped.size > 0) console.log(`  A's coverage skips: ${[...skipped].map(([reason, n]) => `${n} × "${reason}"`).join(', ')}`);
    for (const [key, message] of failed) console.log(`  ${key} failed: ${message}`);
    console.log(`  whole run ${seconds(performance.now() - startedAt)}, load average now ${load()}`);
  } finally {
    removeTemp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await main();
