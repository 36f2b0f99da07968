/**
 * The class catalog and class leaderboards through the HTTP API, on both dialects: who may read
 * and write classes, who the instructor is, and how leaderboards rank, leave out and name athletes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, type Member, createClient } from './support/http.js';

const unknownId = '00000000-0000-4000-8000-000000000000';
const classKeys = ['airedAt', 'difficulty', 'discipline', 'durationSeconds', 'id', 'instructor', 'title'];
const cardKeys = ['displayName', 'id', 'isPrivate', 'username'];
const reason = { 'x-access-reason': 'leaderboard test: moderation case 1234' };

const newClass = (overrides: Record<string, unknown> = {}) => ({
  title: 'Hill climb',
  discipline: 'cycling',
  durationSeconds: 2700,
  difficulty: 7,
  airedAt: '2024-04-01T06:00:00.000Z',
  ...overrides,
});

interface Entry {
  rank: number;
  totalOutputKj: number;
  user: { id: string; username: string; displayName: string; isPrivate: boolean } | null;
}

describeEachDialect('classes and leaderboards', (dialect) => {
  let database: TestDatabase;
  let client: Client;
  let admin: Member;
  let coach: Member;
  let rival: Member;
  let member: Member;
  let counter = 0;
  const name = (prefix: string) => `${prefix}_${dialect.slice(0, 2)}${++counter}`;
  const fresh = (prefix: string, profile: 'public' | 'private' = 'private') => client.member(name(prefix), { profile });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    client = await createClient(database.data);
    admin = await client.member(name('boss'), { role: 'admin' });
    coach = await client.member(name('coach'), { role: 'instructor' });
    rival = await client.member(name('rival'), { role: 'instructor' });
    member = await fresh('rider');
  });
  afterAll(async () => {
    await client?.app.close();
    await database?.dispose();
  });

  const get = (viewer: Member | null, url: string) => client.request('GET', url, { token: viewer?.token ?? null });
  const cardOf = (m: Member) => ({ id: m.id, username: m.username, displayName: m.username, isPrivate: true });
  async function createClass(by: Member, overrides: Record<string, unknown> = {}) {
    const res = await client.request('POST', '/api/v1/classes', { token: by.token, body: newClass(overrides) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  async function ride(owner: Member, classId: string, overrides: Record<string, unknown> = {}) {
    const body = { classId, discipline: 'cycling', title: 'Class ride', startedAt: '2024-04-02T07:00:00.000Z', durationSeconds: 2700, visibility: 'public', ...overrides };
    const res = await client.request('POST', '/api/v1/workouts', { token: owner.token, body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  async function follow(fan: Member, idol: Member) {
    const res = await client.request('POST', `/api/v1/users/${idol.id}/follow`, { token: fan.token });
    expect(res.statusCode, res.body).toBe(200);
    if (res.json().state === 'requested') {
      expect((await client.request('POST', `/api/v1/me/follow-requests/${fan.id}/approve`, { token: idol.token })).statusCode).toBe(204);
    }
  }
  async function board(viewer: Member, classId: string, limit = 100): Promise<Entry[]> {
    const res = await get(viewer, `/api/v1/classes/${classId}/leaderboard?limit=${limit}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(Object.keys(res.json())).toEqual(['items']);
    return res.json().items;
  }

  it('the catalog answers anonymous callers and any valid token; a bad token is a 401', async () => {
    const created = await createClass(coach, { title: 'Catalog ride' });
    for (const viewer of [null, member, coach, admin]) {
      const list = await get(viewer, '/api/v1/classes');
      expect(list.statusCode, list.body).toBe(200);
      expect(Object.keys(list.json()).sort()).toEqual(['items', 'nextCursor']);
      expect(list.json().items.map((c: { id: string }) => c.id)).toContain(created.id);
      const one = await get(viewer, `/api/v1/classes/${created.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual(created);
    }
    expect(Object.keys(created).sort()).toEqual(classKeys);
    expect(Object.keys(created.instructor).sort()).toEqual(cardKeys);
    for (const url of ['/api/v1/classes', `/api/v1/classes/${created.id}`]) {
      const bad = await client.request('GET', url, { token: 'pls_not-a-real-token' });
      expect(bad.statusCode, url).toBe(401);
      expect(bad.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect((await get(null, `/api/v1/classes/${unknownId}`)).statusCode).toBe(404);
  });

  it('POST /classes: instructors teach their own, admins may name an active instructor, members are refused', async () => {
    const own = await createClass(coach);
    expect(own.instructor).toEqual(cardOf(coach));
    expect(Object.keys(own.instructor).sort()).toEqual(cardKeys);
    expect((await createClass(coach, { instructorId: coach.id })).instructor).toEqual(cardOf(coach));

    const post = (by: Member | null, body: unknown) => client.request('POST', '/api/v1/classes', { token: by?.token ?? null, body });
    const poached = await post(coach, newClass({ instructorId: rival.id }));
    expect(poached.statusCode).toBe(403);
    expect(poached.json().code).toBe('forbidden');

    expect((await createClass(admin)).instructor).toEqual(cardOf(admin));
    expect((await createClass(admin, { instructorId: rival.id })).instructor).toEqual(cardOf(rival));
    for (const notInstructor of [member.id, unknownId]) {
      const res = await post(admin, newClass({ instructorId: notInstructor }));
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['/instructorId']);
    }

    for (const body of [newClass(), newClass({ instructorId: coach.id })]) {
      const byMember = await post(member, body);
      expect(byMember.statusCode).toBe(403);
      expect(byMember.json().code).toBe('forbidden');
    }
    expect((await post(null, newClass())).statusCode).toBe(401);
    for (const body of [newClass({ id: unknownId }), newClass({ difficulty: 11 }), newClass({ durationSeconds: '2700' }), { title: 'Half a class' }]) {
      expect((await post(coach, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('PATCH and DELETE: the class\'s instructor and admins; 403 for other instructors and members; 404 for unknown ids', async () => {
    const theClass = await createClass(coach, { title: 'Before' });
    const url = `/api/v1/classes/${theClass.id}`;
    const patch = (by: Member | null, target = url) => client.request('PATCH', target, { token: by?.token ?? null, body: { title: 'After' } });
    const remove = (by: Member | null, target = url) => client.request('DELETE', target, { token: by?.token ?? null });

    for (const refused of [rival, member]) {
      const p = await patch(refused);
      expect(p.statusCode).toBe(403);
      expect(p.json().code).toBe('forbidden');
      const d = await remove(refused);
      expect(d.statusCode).toBe(403);
      expect(d.json().code).toBe('forbidden');
    }
    expect((await patch(null)).statusCode).toBe(401);
    expect((await remove(null)).statusCode).toBe(401);
    for (const who of [coach, rival, admin, member]) {
      expect((await patch(who, `/api/v1/classes/${unknownId}`)).statusCode).toBe(404);
      expect((await remove(who, `/api/v1/classes/${unknownId}`)).statusCode).toBe(404);
    }
    expect((await get(null, url)).json().title).toBe('Before');

    const byCoach = await patch(coach);
    expect(byCoach.statusCode).toBe(200);
    expect(byCoach.json()).toEqual({ ...theClass, title: 'After' });
    const byAdmin = await client.request('PATCH', url, { token: admin.token, body: { difficulty: 3 } });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json()).toEqual({ ...theClass, title: 'After', difficulty: 3 });
    for (const body of [{ instructorId: rival.id }, { id: unknownId }, {}]) {
      expect((await client.request('PATCH', url, { token: coach.token, body })).statusCode, JSON.stringify(body)).toBe(400);
    }

    expect((await remove(coach)).statusCode).toBe(204);
    expect((await get(null, url)).statusCode).toBe(404);
    const another = await createClass(coach);
    expect((await remove(admin, `/api/v1/classes/${another.id}`)).statusCode).toBe(204);
    expect((await get(coach, `/api/v1/classes/${another.id}`)).statusCode).toBe(404);
  });

  it("deleting a class leaves members' workouts in place with classId null", async () => {
    const theClass = await createClass(coach);
    const workout = await ride(member, theClass.id, { totalOutputKj: 250 });
    expect((await client.request('DELETE', `/api/v1/classes/${theClass.id}`, { token: coach.token })).statusCode).toBe(204);
    const after = await get(member, `/api/v1/workouts/${workout.id}`);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ ...workout, classId: null });
    expect((await get(member, `/api/v1/classes/${theClass.id}/leaderboard`)).statusCode).toBe(404);
  });

  it('ranks one entry per workout with an output by totalOutputKj, ties to the earlier start', async () => {
    const theClass = await createClass(coach);
    const ann = await fresh('ann', 'public');
    const bob = await fresh('bob', 'public');
    const cyd = await fresh('cyd', 'public');
    // Bob's tying ride is recorded first but started later: the start time decides, not the id.
    await ride(bob, theClass.id, { totalOutputKj: 250, startedAt: '2024-04-02T08:00:00.000Z' });
    await ride(ann, theClass.id, { totalOutputKj: 250, startedAt: '2024-04-02T07:00:00.000Z' });
    await ride(ann, theClass.id, { totalOutputKj: 410.5 });
    await ride(cyd, theClass.id, { totalOutputKj: 100 });
    await ride(cyd, theClass.id, { totalOutputKj: null });
    await ride(bob, theClass.id, {});
    await ride(cyd, theClass.id, { totalOutputKj: 0 });
    const card = (m: Member) => ({ ...cardOf(m), isPrivate: false });

    const entries = await board(member, theClass.id);
    expect(entries).toEqual([
      { rank: 1, totalOutputKj: 410.5, user: card(ann) },
      { rank: 2, totalOutputKj: 250, user: card(ann) },
      { rank: 3, totalOutputKj: 250, user: card(bob) },
      { rank: 4, totalOutputKj: 100, user: card(cyd) },
      { rank: 5, totalOutputKj: 0, user: card(cyd) },
    ]);
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(['rank', 'totalOutputKj', 'user']);
      expect(Object.keys(entry.user ?? {}).sort()).toEqual(cardKeys);
    }
    expect(await board(member, theClass.id, 2)).toEqual(entries.slice(0, 2));
    expect(await board(member, theClass.id, 1)).toEqual(entries.slice(0, 1));
    // The default limit is 20.
    expect((await get(member, `/api/v1/classes/${theClass.id}/leaderboard`)).json().items).toEqual(entries);
  });

  it('leaves out only_me workouts, athletes hidden from leaderboards and suspended athletes', async () => {
    const theClass = await createClass(coach);
    const seen = await fresh('seen', 'public');
    const shy = await fresh('shy', 'public');
    const hider = await fresh('hider', 'public');
    const banned = await fresh('banned', 'public');
    await ride(seen, theClass.id, { totalOutputKj: 200 });
    await ride(shy, theClass.id, { totalOutputKj: 900, visibility: 'only_me' });
    await ride(hider, theClass.id, { totalOutputKj: 800 });
    await ride(banned, theClass.id, { totalOutputKj: 700 });
    const before = await board(member, theClass.id);
    expect(before.map((e) => e.totalOutputKj)).toEqual([800, 700, 200]);

    expect((await client.request('PATCH', '/api/v1/me', { token: hider.token, body: { privacy: { leaderboard: 'hidden' } } })).statusCode).toBe(200);
    const suspended = await client.request('POST', `/api/v1/admin/users/${banned.id}/suspend`, { token: admin.token, headers: reason });
    expect(suspended.statusCode, suspended.body).toBe(204);

    const expected = [{ rank: 1, totalOutputKj: 200, user: { ...cardOf(seen), isPrivate: false } }];
    expect(await board(member, theClass.id)).toEqual(expected);
    // Nobody sees them, themselves included.
    expect(await board(shy, theClass.id)).toEqual(expected);
    expect(await board(hider, theClass.id)).toEqual(expected);
    expect(await board(admin, theClass.id)).toEqual(expected);
  });

  it('names an athlete with a card only when the caller may see that workout; a blocked pair sees null both ways', async () => {
    const theClass = await createClass(coach);
    const closed = await fresh('closed');
    const open = await fresh('open', 'public');
    const loud = await fresh('loud', 'public');
    const fan = await fresh('fan');
    const stranger = await fresh('strngr');
    await follow(fan, closed);
    await ride(closed, theClass.id, { totalOutputKj: 500, visibility: 'public' });
    await ride(closed, theClass.id, { totalOutputKj: 400, visibility: 'followers' });
    await ride(open, theClass.id, { totalOutputKj: 300, visibility: 'public' });
    await ride(open, theClass.id, { totalOutputKj: 200, visibility: 'followers' });
    await ride(loud, theClass.id, { totalOutputKj: 150, visibility: 'public' });
    await ride(stranger, theClass.id, { totalOutputKj: 100, visibility: 'followers' });
    const closedCard = cardOf(closed);
    const openCard = { ...cardOf(open), isPrivate: false };
    const loudCard = { ...cardOf(loud), isPrivate: false };
    const names = async (viewer: Member) => (await board(viewer, theClass.id)).map((e) => e.user);

    // A private profile hides even its public workouts from non-followers.
    expect(await names(stranger)).toEqual([null, null, openCard, null, loudCard, cardOf(stranger)]);
    expect(await names(fan)).toEqual([closedCard, closedCard, openCard, null, loudCard, null]);
    expect(await names(closed)).toEqual([closedCard, closedCard, openCard, null, loudCard, null]);
    expect(await names(open)).toEqual([null, null, openCard, openCard, loudCard, null]);

    // A block, either direction, turns each into a private athlete for the other; ranks stay.
    expect((await client.request('POST', `/api/v1/users/${fan.id}/block`, { token: closed.token })).statusCode).toBe(204);
    expect(await names(fan)).toEqual([null, null, openCard, null, loudCard, null]);
    expect((await client.request('POST', `/api/v1/users/${open.id}/block`, { token: loud.token })).statusCode).toBe(204);
    expect(await names(open)).toEqual([null, null, openCard, openCard, null, null]);
    expect(await names(loud)).toEqual([null, null, null, null, loudCard, null]);
    const blocked = await board(open, theClass.id);
    expect(blocked.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(blocked.map((e) => e.totalOutputKj)).toEqual([500, 400, 300, 200, 150, 100]);
  });

  it('validates limit, refuses anonymous callers and answers 404 for an unknown class', async () => {
    const theClass = await createClass(coach);
    const url = `/api/v1/classes/${theClass.id}/leaderboard`;
    for (const query of ['limit=0', 'limit=101', 'limit=x', 'limit=1.5', 'cursor=abc']) {
      const res = await get(member, `${url}?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
    expect((await get(member, `${url}?limit=100`)).statusCode).toBe(200);
    const anonymous = await get(null, url);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await client.request('GET', url, { token: 'pls_not-a-real-token' })).statusCode).toBe(401);
    expect((await get(member, `/api/v1/classes/${unknownId}/leaderboard`)).statusCode).toBe(404);
  });
});
