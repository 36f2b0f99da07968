/**
 * Ids carry nothing a view hides. A card masks when a member registered, so a member id must not
 * encode it (a UUIDv7 carries its creation time to the millisecond); the same holds for classes,
 * whose view shows when they aired, not when they were made.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, createClient } from './support/http.js';

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The milliseconds a UUIDv7 would carry in its first 48 bits. */
const embeddedMs = (id: string) => parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describeEachDialect('identifiers', (dialect) => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    client = await createClient(db.data);
  });

  afterAll(async () => {
    await client?.app.close();
    await db?.dispose();
  });

  it('gives members random ids that do not carry their registration time', async () => {
    const before = Date.now();
    const members = [await client.member(`ids_a_${dialect}`), await client.member(`ids_b_${dialect}`)];
    const after = Date.now();
    for (const member of members) {
      expect(member.id).toMatch(uuidV4);
      const ms = embeddedMs(member.id);
      expect(ms >= before - 60_000 && ms <= after + 60_000, `${member.id} carries a time near the registration`).toBe(false);
    }
    // Registered one after the other, yet nothing orders or links the two ids.
    expect(members[0]!.id.slice(0, 8)).not.toBe(members[1]!.id.slice(0, 8));
  });

  it('gives classes random ids', async () => {
    const coach = await client.member(`ids_coach_${dialect}`, { role: 'instructor' });
    const body = { title: 'Climb', discipline: 'cycling', durationSeconds: 1200, difficulty: 5, airedAt: '2024-06-01T06:00:00.000Z' };
    const res = await client.request('POST', '/api/v1/classes', { token: coach.token, body });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().id).toMatch(uuidV4);
  });
});
