import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataLayer } from '../src/data/data-layer.js';

/** `paceline serve` as a real process (the TypeScript sources through tsx), on a SQLite temp file. */
const root = path.join(import.meta.dirname, '..');

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** The listening line's base URL, or the exit status: whichever comes first. */
  outcome: Promise<{ listening: string } | { exited: number | null }>;
  exit: Promise<number | null>;
}

function paceline(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { child, stdout: '', stderr: '' } as Run;
  run.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  run.outcome = new Promise((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      const base = /listening on (http:\/\/\S+)/.exec(run.stdout)?.[1];
      if (base) resolve({ listening: base });
    });
    child.stderr?.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    void run.exit.then((code) => resolve({ exited: code }));
  });
  return run;
}

/** Stops a server started by the test (only that child) and waits for it to go. */
async function stop(run: Run): Promise<number | null> {
  if (run.child.exitCode === null) run.child.kill('SIGTERM');
  return run.exit;
}

describe('paceline serve and the database schema', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'paceline-serve-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an unmigrated database with a one-line reason, migrates with --migrate, and serves a current one without it', async () => {
    // Three databases, so the three starts (each a few seconds of start-up) run side by side.
    const [unmigratedUrl, migratingUrl, currentUrl] = ['unmigrated.db', 'migrating.db', 'current.db'].map((name) => `sqlite:${path.join(dir, name)}`) as [string, string, string];
    const migrated = openDataLayer(currentUrl);
    await migrated.migrate();
    await migrated.close();
    const runs = {
      refused: paceline(['serve', '--database-url', unmigratedUrl]),
      migrating: paceline(['serve', '--database-url', migratingUrl, '--migrate']),
      current: paceline(['serve', '--database-url', currentUrl]),
    };
    try {
      const refused = await runs.refused.outcome;
      expect(refused).toEqual({ exited: 1 });
      const lines = runs.refused.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^paceline: the database schema is behind this version \(\d+ migrations? pending: .+\); run `paceline migrate` first, or start with `paceline serve --migrate`$/);
      expect(runs.refused.stdout).toBe('');

      for (const run of [runs.migrating, runs.current]) {
        const started = await run.outcome;
        expect(started, run.stderr).toMatchObject({ listening: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
        const base = (started as { listening: string }).listening;
        expect((await fetch(`${base}/readyz`)).status).toBe(200);
        // SIGTERM is a clean stop.
        expect(await stop(run)).toBe(0);
      }
    } finally {
      await Promise.all(Object.values(runs).map(stop));
    }
  }, 30_000);
});
