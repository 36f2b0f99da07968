import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { allScopes } from '../src/authz/scopes.js';
import type { UserViewer } from '../src/authz/viewer.js';
import { createUsersRepository } from '../src/data/users.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';

/**
 * The profile read of a popular member must not walk their followers: its cost may grow with the
 * viewer's blocks, never with the target's follower count. On a seeded heavy-tailed graph (the
 * planners see real table sizes), the plan of the statement for the most-followed member, read by
 * a member who has blocked others, may touch `follows` only by point lookups on both ends of an
 * edge (follower and followee given), never by a scan or by a range over one member's edges.
 */
describeEachDialect('the profile read of a popular member', (dialect) => {
  let database: TestDatabase;
  let handle: Database;

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { file: true });
    await database.data.seed({ users: 3000, workoutsPerUser: 2, followsPerUser: 10, classes: 200, seed: 5 });
    handle = openDatabase(database.url);
    if (dialect === 'postgres') await sql`analyze`.execute(handle.db);
  }, 120_000);

  afterAll(async () => {
    await handle?.close();
    await database?.dispose();
  });

  it('looks follows up by both ends of an edge only, and counts what the viewer could list', async () => {
    const { db } = handle;
    const target = await db.selectFrom('users').select(['id', 'follower_count']).orderBy('follower_count', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(Number(target.follower_count)).toBeGreaterThan(200);
    const blocker = await db
      .selectFrom('blocks')
      .innerJoin('users', 'users.id', 'blocks.blocker_id')
      .select('blocks.blocker_id as id')
      .where('users.status', '=', 'active')
      .where('users.id', '<>', target.id)
      .limit(1)
      .executeTakeFirstOrThrow();
    const viewer: UserViewer = { kind: 'user', userId: blocker.id, role: 'member', scopes: new Set(allScopes), credentialId: 'plan', credentialKind: 'session', securityStamp: 'plan' };
    const compiled = createUsersRepository(db, viewer).profileRead((eb) => eb('users.id', '=', target.id)).compile();

    const lookups = dialect === 'sqlite' ? await sqliteFollowsAccess(compiled) : await postgresFollowsAccess(compiled);
    expect(lookups.length).toBeGreaterThan(0);
    for (const access of lookups) expect(access, 'every access to follows names both ends of the edge').toMatch(/follower_id.*followee_id|followee_id.*follower_id/);

    // The same statement's answer equals a count from the rows, as the viewer could list them.
    const { rows } = await db.executeQuery(compiled);
    const listed = await sql<{ n: number }>`
      select cast(count(*) as integer) as n from follows f join users m on m.id = f.follower_id
      where f.followee_id = ${target.id} and f.state = 'approved' and m.status = 'active'
        and not exists (select 1 from blocks b where b.blocker_id = ${blocker.id} and b.blocked_id = m.id)
        and not exists (select 1 from blocks b where b.blocker_id = m.id and b.blocked_id = ${blocker.id})`.execute(db);
    expect(Number((rows[0] as { follower_count: number }).follower_count)).toBe(Number(listed.rows[0]?.n));
  });

  /** SQLite: each plan step that reads follows, with the index columns it is keyed by. */
  async function sqliteFollowsAccess(compiled: CompiledQuery): Promise<string[]> {
    const { rows } = await handle.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    // SQLite's plan names a table by its alias in the statement.
    const aliases = new Set(['follows', ...[...compiled.sql.matchAll(/"follows" as "([^"]+)"/g)].map((m) => m[1]!)]);
    const steps = rows.map((row) => row.detail).filter((detail) => aliases.has(/^(?:SEARCH|SCAN) (\S+)/.exec(detail)?.[1] ?? ''));
    for (const step of steps) expect(step, 'no scan of follows').not.toMatch(/^SCAN/);
    return steps;
  }

  /** PostgreSQL: each plan node that reads follows (or its indexes), with its index condition. */
  async function postgresFollowsAccess(compiled: CompiledQuery): Promise<string[]> {
    const { rows } = await handle.db.executeQuery<{ 'QUERY PLAN': unknown }>(CompiledQuery.raw(`explain (format json) ${compiled.sql}`, [...compiled.parameters]));
    const found: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      const relation = node['Relation Name'];
      const index = String(node['Index Name'] ?? '');
      if (relation === 'follows' || index.startsWith('follows')) {
        expect(node['Node Type'], 'no sequential scan of follows').not.toBe('Seq Scan');
        found.push(String(node['Index Cond'] ?? node['Recheck Cond'] ?? `${String(node['Node Type'])} without a condition`));
      }
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    const plan = rows[0]?.['QUERY PLAN'];
    const top = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: Record<string, unknown> }[];
    walk(top[0]!.Plan);
    return found;
  }
});
