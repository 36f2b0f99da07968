import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { type DataLayer, openDataLayer } from '../../src/data/data-layer.js';

export type DialectName = 'sqlite' | 'postgres';

export const dialectNames: DialectName[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  data: DataLayer;
  url: string;
  /** Closes the data layer and drops the throw-away database. */
  dispose(): Promise<void>;
}

/**
 * A fresh database of the given dialect, migrated unless `migrate: false`: in-memory SQLite (or,
 * with `file`, a SQLite file in the temp folder that a test can open a second time), or a new
 * PostgreSQL database.
 */
export async function createTestDatabase(dialect: DialectName, options: { migrate?: boolean; file?: boolean } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (dialect === 'sqlite') {
    const file = options.file ? path.join(os.tmpdir(), `paceline_test_${randomBytes(6).toString('hex')}.db`) : null;
    const url = file ? `sqlite:${file}` : 'sqlite::memory:';
    const data = openDataLayer(url);
    if (migrate) await data.migrate();
    return {
      data,
      url,
      async dispose() {
        await data.close();
        if (file) for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
      },
    };
  }
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) throw new Error('PostgreSQL is not available');
  const name = `paceline_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const data = openDataLayer(url.toString());
  if (migrate) await data.migrate();
  return {
    data,
    url: url.toString(),
    async dispose() {
      await data.close();
      await withAdmin(adminUrl, async (client) => {
        // The pool's end() resolves before its connections have hung up; dropping WITH (FORCE)
        // at once would kill them mid-goodbye. Wait (briefly, bounded) for them to go.
        for (let attempt = 0; attempt < 50; attempt++) {
          const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
          if (rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query(`drop database if exists ${name} with (force)`);
      });
    },
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs a suite once per dialect. PostgreSQL suites are skipped (and reported as skipped) when no
 * server is available; see global-setup.ts.
 */
export function describeEachDialect(title: string, suite: (dialect: DialectName) => void): void {
  for (const dialect of dialectNames) {
    const unavailable = dialect === 'postgres' && inject('postgresAdminUrl') === null;
    const label = unavailable ? `${title} [${dialect}: skipped, ${inject('postgresSkipReason')}]` : `${title} [${dialect}]`;
    describe.skipIf(unavailable)(label, () => suite(dialect));
  }
}
