import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { type DataLayer, openDataLayer } from '../src/data/data-layer.js';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { type DialectName, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * An unmigrated database shared by two data layers, as by two processes: the app under test
 * serves from one while another process migrates through the other.
 */
async function unmigratedPair(dialect: DialectName): Promise<{ served: DataLayer; migrator: DataLayer; dispose(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'paceline-readiness-'));
    const url = `sqlite:${path.join(dir, 'paceline.db')}`;
    const [served, migrator] = [openDataLayer(url), openDataLayer(url)];
    return {
      served,
      migrator,
      async dispose() {
        await Promise.all([served.close(), migrator.close()]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const db = await createTestDatabase('postgres', { migrate: false });
  const migrator = openDataLayer(db.url);
  return {
    served: db.data,
    migrator,
    async dispose() {
      await migrator.close();
      await db.dispose();
    },
  };
}

describeEachDialect('/readyz follows the database schema', (dialect) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function appOn(data: DataLayer): Promise<App> {
    const app = await buildApp({ data });
    cleanups.push(() => app.close());
    return app;
  }

  it('answers 503 while migrations are pending, and ready once another process has applied them', async () => {
    const pair = await unmigratedPair(dialect);
    cleanups.push(() => pair.dispose());
    const statusCalls = vi.fn(pair.served.schemaStatus);
    const app = await appOn({ ...pair.served, schemaStatus: statusCalls });

    const behind = await app.inject({ method: 'GET', url: '/readyz' });
    expect(behind.statusCode).toBe(503);
    expect(behind.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(behind.json()).toEqual({
      type: expect.any(String),
      title: 'The service is not ready',
      status: 503,
      code: 'unavailable',
      detail: 'The database has not been migrated to this version of Paceline yet.',
    });
    // Still behind on the next poll: nothing is cached while the schema is behind.
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);

    await pair.migrator.migrate();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);

    // Once current, polls only ping the database: the migration table is not read again.
    const lookups = statusCalls.mock.calls.length;
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect(statusCalls.mock.calls.length).toBe(lookups);
  });

  it('reports the schema as data: every known migration pending, then none', async () => {
    const pair = await unmigratedPair(dialect);
    cleanups.push(() => pair.dispose());
    const before = await pair.served.schemaStatus();
    expect(before.current).toBe(false);
    expect(before.applied).toEqual([]);
    expect(before.pending.length).toBeGreaterThan(0);
    await pair.migrator.migrate();
    expect(await pair.served.schemaStatus()).toEqual({ current: true, applied: before.pending, pending: [] });
  });

  it('says the database is unreachable when it is', async () => {
    const db = await createTestDatabase(dialect);
    const app = await appOn(db.data);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await db.dispose();
    const down = await app.inject({ method: 'GET', url: '/readyz' });
    expect([down.statusCode, down.json().detail]).toEqual([503, 'The database is not reachable.']);
  });
});
