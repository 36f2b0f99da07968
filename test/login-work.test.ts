/**
 * Every failed login costs the same work, so timing cannot tell an unknown login, a rider with no
 * usable password and a wrong password apart. The argon2 module is wrapped, not replaced: every
 * verification still runs for real, and the test sees which hash each one used.
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, createClient, testPassword } from './support/http.js';

const argon2 = vi.hoisted(() => ({ hashesVerified: [] as string[] }));

vi.mock('@node-rs/argon2', async (importOriginal) => {
  const original = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...original,
    verify: (hashed: string | Uint8Array, password: string | Uint8Array) => {
      argon2.hashesVerified.push(String(hashed));
      return original.verify(hashed, password);
    },
  };
});

/** The cost part of an argon2 hash: algorithm, version and parameters. */
const costOf = (hash: string) => hash.split('$').slice(1, 4).join('$');

describeEachDialect('failed logins cost the same work', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  let memberHashCost: string;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    client = await createClient(db.data);
    await client.member(`known_${dialect}`);
    // A rider without a login, as the demo and the seed make them.
    await db.data.accounts.register({ username: `rider_${dialect}`, email: `rider_${dialect}@example.test`, passwordHash: '!seeded' });
    argon2.hashesVerified.length = 0;
    await client.request('POST', '/api/v1/auth/login', { body: { login: `known_${dialect}`, password: testPassword } });
    memberHashCost = costOf(argon2.hashesVerified[0] ?? '');
    expect(memberHashCost).toMatch(/^argon2id\$v=19\$m=\d+,t=\d+,p=\d+$/);
  });

  afterAll(async () => {
    await client?.app.close();
    await db?.dispose();
  });

  beforeEach(() => {
    argon2.hashesVerified.length = 0;
  });

  it.each([
    ['a wrong password', `known_${dialect}`],
    ['an unknown login', `nobody_${dialect}`],
    ['a rider with no usable password', `rider_${dialect}`],
    ['a rider with no usable password, given that hash as the password', `rider_${dialect}`, '!seeded'],
  ])('%s: one argon2 verification at a member hash\'s cost, then 401', async (_case, login, password = 'definitely not the password') => {
    const res = await client.request('POST', '/api/v1/auth/login', { body: { login, password } });
    expect(res.statusCode, res.body).toBe(401);
    expect(argon2.hashesVerified.map(costOf)).toEqual([memberHashCost]);
  });
});
