import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of a reachable PostgreSQL server, or null when PostgreSQL runs are to be skipped. */
    postgresAdminUrl: string | null;
    postgresSkipReason: string;
  }
}

const defaultUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Finds the PostgreSQL server the dialect suites run against. PACELINE_TEST_POSTGRES_URL names
 * one explicitly (CI does): then it must answer, or the run fails. Without it, the local default
 * is tried, and when nothing answers the PostgreSQL suites are reported as skipped, never passed.
 */
export default async function setup(project: TestProject): Promise<void> {
  const explicit = process.env.PACELINE_TEST_POSTGRES_URL;
  const url = explicit ?? defaultUrl;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresAdminUrl', url);
    project.provide('postgresSkipReason', '');
  } catch (error) {
    if (explicit) throw new Error(`PACELINE_TEST_POSTGRES_URL is set but PostgreSQL does not answer: ${(error as Error).message}`);
    project.provide('postgresAdminUrl', null);
    project.provide('postgresSkipReason', `no PostgreSQL at ${defaultUrl} (set PACELINE_TEST_POSTGRES_URL)`);
  } finally {
    await client.end().catch(() => {});
  }
}
