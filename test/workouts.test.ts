/**
 * Workouts through the HTTP API, on both dialects: creation (the owner is always the caller),
 * reads, owner-only writes (403 where visible, 404 where not), keyset-paged lists, the export and
 * account deletion.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, type Member, createClient } from './support/http.js';

const unknownId = '00000000-0000-4000-8000-000000000000';
const workoutKeys = [
  'avgCadenceRpm',
  'avgHeartRateBpm',
  'calories',
  'classId',
  'createdAt',
  'discipline',
  'distanceKm',
  'durationSeconds',
  'id',
  'maxHeartRateBpm',
  'startedAt',
  'title',
  'totalOutputKj',
  'userId',
  'visibility',
];

/** A valid body; tests override what they are about. */
const ride = (overrides: Record<string, unknown> = {}) => ({
  discipline: 'cycling',
  title: 'Morning ride',
  startedAt: '2024-05-01T07:00:00.000Z',
  durationSeconds: 1800,
  totalOutputKj: 300,
  ...overrides,
});

describeEachDialect('workouts', (dialect) => {
  let database: TestDatabase;
  let client: Client;
  let instructor: Member;
  let classId: string;
  let counter = 0;
  const fresh = (name: string, profile: 'public' | 'private' = 'private') => client.member(`${name}_${dialect.slice(0, 2)}${++counter}`, { profile });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    client = await createClient(database.data);
    instructor = await client.member(`coach_${dialect.slice(0, 2)}${++counter}`, { role: 'instructor' });
    const created = await client.request('POST', '/api/v1/classes', {
      token: instructor.token,
      body: { title: 'Climb', discipline: 'cycling', durationSeconds: 1800, difficulty: 5, airedAt: '2024-04-01T06:00:00.000Z' },
    });
    expect(created.statusCode, created.body).toBe(201);
    classId = created.json().id;
  });
  afterAll(async () => {
    await client?.app.close();
    await database?.dispose();
  });

  const get = (viewer: Member | null, url: string) => client.request('GET', url, { token: viewer?.token ?? null });
  const post = (viewer: Member, body: unknown) => client.request('POST', '/api/v1/workouts', { token: viewer.token, body });
  async function create(owner: Member, overrides: Record<string, unknown> = {}) {
    const res = await post(owner, ride(overrides));
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
  const block = async (blocker: Member, blocked: Member) =>
    expect((await client.request('POST', `/api/v1/users/${blocked.id}/block`, { token: blocker.token })).statusCode).toBe(204);
  const myIds = async (member: Member) => (await get(member, '/api/v1/me/workouts?limit=100')).json().items.map((w: { id: string }) => w.id);

  /** The invisible case must not be told apart from the absent one: same status, body and header names. */
  async function expectLikeUnknown(hidden: Awaited<ReturnType<Client['request']>>, unknown: Awaited<ReturnType<Client['request']>>) {
    expect(hidden.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(hidden.body).toBe(unknown.body);
    expect(Object.keys(hidden.headers).sort()).toEqual(Object.keys(unknown.headers).sort());
  }

  it('create answers 201 with the caller as owner, every field, and UTC times', async () => {
    const owner = await fresh('maker');
    const res = await post(owner, ride({ startedAt: '2024-05-01T09:00:00+02:00', avgCadenceRpm: 85.5 }));
    expect(res.statusCode, res.body).toBe(201);
    const workout = res.json();
    expect(Object.keys(workout).sort()).toEqual(workoutKeys);
    expect(workout).toMatchObject({
      userId: owner.id,
      classId: null,
      discipline: 'cycling',
      title: 'Morning ride',
      startedAt: '2024-05-01T07:00:00.000Z',
      durationSeconds: 1800,
      totalOutputKj: 300,
      avgCadenceRpm: 85.5,
      avgHeartRateBpm: null,
      maxHeartRateBpm: null,
      distanceKm: null,
      calories: null,
      visibility: 'followers',
    });
    expect(workout.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(workout.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await get(owner, `/api/v1/workouts/${workout.id}`)).json()).toEqual(workout);
    expect((await client.request('POST', '/api/v1/workouts', { body: ride() })).statusCode).toBe(401);
  });

  it('the owner never comes from the body: userId or any unknown property is a 400 and nothing is stored', async () => {
    const owner = await fresh('massw');
    const victim = await fresh('victim');
    const cases: [Record<string, unknown>, string][] = [
      [{ userId: victim.id }, '/userId'],
      [{ userId: owner.id }, '/userId'],
      [{ id: unknownId }, '/id'],
      [{ createdAt: '2024-01-01T00:00:00.000Z' }, '/createdAt'],
      [{ rank: 1 }, '/rank'],
    ];
    for (const [extra, path] of cases) {
      const res = await post(owner, ride(extra));
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().code).toBe('validation_failed');
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await myIds(owner)).toEqual([]);
    expect(await myIds(victim)).toEqual([]);
  });

  it('an omitted visibility follows privacy.defaultWorkoutVisibility, from the very next request', async () => {
    const owner = await fresh('defaults');
    expect((await create(owner)).visibility).toBe('followers');
    for (const setting of ['only_me', 'public', 'followers'] as const) {
      const patched = await client.request('PATCH', '/api/v1/me', { token: owner.token, body: { privacy: { defaultWorkoutVisibility: setting } } });
      expect(patched.statusCode, patched.body).toBe(200);
      expect((await create(owner)).visibility).toBe(setting);
    }
    // An explicit visibility wins over the default.
    expect((await create(owner, { visibility: 'only_me' })).visibility).toBe('only_me');
  });

  it('classId must name a class the caller can see: unknown or blocked-instructor classes are one 400 at /classId', async () => {
    const rider = await fresh('classy');
    expect((await create(rider, { classId })).classId).toBe(classId);
    expect((await create(rider, { classId: null })).classId).toBeNull();
    const unknown = await post(rider, ride({ classId: unknownId }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors.map((e: { path: string }) => e.path)).toEqual(['/classId']);

    const shunned = await fresh('shunned');
    await block(instructor, shunned);
    const blocked = await post(shunned, ride({ classId }));
    expect(blocked.statusCode).toBe(400);
    expect(blocked.body).toBe(unknown.body);
    // The other direction hides the class as well.
    const shunner = await fresh('shunner');
    await block(shunner, instructor);
    expect((await post(shunner, ride({ classId }))).body).toBe(unknown.body);
    expect(await myIds(shunned)).toEqual([]);
    expect(await myIds(shunner)).toEqual([]);
  });

  it('metrics out of range and values of the wrong type are 400, never coerced', async () => {
    const owner = await fresh('bounds');
    const bad: [Record<string, unknown>, string][] = [
      [{ totalOutputKj: -1 }, '/totalOutputKj'],
      [{ totalOutputKj: 10_000.5 }, '/totalOutputKj'],
      [{ avgCadenceRpm: 251 }, '/avgCadenceRpm'],
      [{ avgHeartRateBpm: 251 }, '/avgHeartRateBpm'],
      [{ maxHeartRateBpm: -5 }, '/maxHeartRateBpm'],
      [{ distanceKm: 1000.1 }, '/distanceKm'],
      [{ calories: 20_001 }, '/calories'],
      [{ durationSeconds: 0 }, '/durationSeconds'],
      [{ durationSeconds: 24 * 3600 + 1 }, '/durationSeconds'],
      [{ durationSeconds: 90.5 }, '/durationSeconds'],
      // No coercion: numbers as text, booleans and arrays are not numbers.
      [{ totalOutputKj: '300' }, '/totalOutputKj'],
      [{ durationSeconds: '1800' }, '/durationSeconds'],
      [{ calories: true }, '/calories'],
      [{ distanceKm: [5] }, '/distanceKm'],
      [{ title: 42 }, '/title'],
      [{ title: '' }, '/title'],
      [{ title: 'x'.repeat(101) }, '/title'],
      [{ discipline: 'swimming' }, '/discipline'],
      [{ visibility: 'friends' }, '/visibility'],
      [{ startedAt: 'yesterday' }, '/startedAt'],
      [{ classId: 'not-a-uuid' }, '/classId'],
    ];
    for (const [change, path] of bad) {
      const res = await post(owner, ride(change));
      expect(res.statusCode, JSON.stringify(change)).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path), JSON.stringify(change)).toContain(path);
    }
    // The bounds themselves are accepted.
    await create(owner, { totalOutputKj: 0, avgCadenceRpm: 250, calories: 20_000, distanceKm: 1000, durationSeconds: 24 * 3600 });
    await create(owner, { totalOutputKj: 10_000, maxHeartRateBpm: null });
    expect(await myIds(owner)).toHaveLength(2);
  });

  it('a visible workout reads as 200; an invisible one is a 404 identical to an unknown id', async () => {
    const owner = await fresh('reads');
    const fan = await fresh('readfan');
    const stranger = await fresh('readstr');
    await follow(fan, owner);
    const shared = await create(owner, { visibility: 'followers' });
    const secret = await create(owner, { visibility: 'only_me' });
    const unknown = await get(stranger, `/api/v1/workouts/${unknownId}`);
    expect((await get(owner, `/api/v1/workouts/${shared.id}`)).statusCode).toBe(200);
    expect((await get(owner, `/api/v1/workouts/${secret.id}`)).statusCode).toBe(200);
    expect((await get(fan, `/api/v1/workouts/${shared.id}`)).json()).toEqual(shared);
    await expectLikeUnknown(await get(fan, `/api/v1/workouts/${secret.id}`), unknown);
    await expectLikeUnknown(await get(stranger, `/api/v1/workouts/${shared.id}`), unknown);
    // A private profile hides even its public workouts from non-followers.
    const open = await create(owner, { visibility: 'public' });
    await expectLikeUnknown(await get(stranger, `/api/v1/workouts/${open.id}`), unknown);
    expect((await get(fan, `/api/v1/workouts/${open.id}`)).statusCode).toBe(200);
    expect((await get(null, `/api/v1/workouts/${open.id}`)).statusCode).toBe(401);
  });

  it('PATCH changes only title and visibility, by the owner; 403 to a viewer who sees it, 404 to one who does not', async () => {
    const owner = await fresh('editor');
    const fan = await fresh('editfan');
    const stranger = await fresh('editstr');
    await follow(fan, owner);
    const workout = await create(owner, { visibility: 'followers', classId });
    const url = `/api/v1/workouts/${workout.id}`;
    const patch = (who: Member, body: unknown) => client.request('PATCH', url, { token: who.token, body });

    const edited = await patch(owner, { title: 'Renamed', visibility: 'public' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toEqual({ ...workout, title: 'Renamed', visibility: 'public' });

    for (const body of [{ userId: stranger.id }, { totalOutputKj: 9999 }, { classId: null }, { startedAt: '2020-01-01T00:00:00.000Z' }, { id: unknownId }, { title: 'ok', foo: 1 }, {}, { visibility: 'everyone' }]) {
      const res = await patch(owner, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await get(owner, url)).json()).toEqual(edited.json());

    const byFan = await patch(fan, { title: 'Mine now' });
    expect(byFan.statusCode).toBe(403);
    expect(byFan.json().code).toBe('forbidden');
    // Back to followers-only: the stranger cannot see it, so it does not exist for them.
    await patch(owner, { visibility: 'followers' });
    const unknown = await client.request('PATCH', `/api/v1/workouts/${unknownId}`, { token: stranger.token, body: { title: 'Mine now' } });
    await expectLikeUnknown(await patch(stranger, { title: 'Mine now' }), unknown);
    expect((await get(owner, url)).json()).toEqual({ ...edited.json(), visibility: 'followers' });
  });

  it('DELETE is owner-only (403 visible, 404 invisible) and the workout is gone afterwards', async () => {
    const owner = await fresh('deleter');
    const fan = await fresh('delfan');
    const stranger = await fresh('delstr');
    await follow(fan, owner);
    const workout = await create(owner, { visibility: 'followers' });
    const url = `/api/v1/workouts/${workout.id}`;
    const remove = (who: Member, target = url) => client.request('DELETE', target, { token: who.token });

    const byFan = await remove(fan);
    expect(byFan.statusCode).toBe(403);
    expect(byFan.json().code).toBe('forbidden');
    await expectLikeUnknown(await remove(stranger), await remove(stranger, `/api/v1/workouts/${unknownId}`));
    expect((await get(owner, url)).statusCode).toBe(200);

    expect((await remove(owner)).statusCode).toBe(204);
    expect((await get(owner, url)).statusCode).toBe(404);
    expect((await get(fan, url)).statusCode).toBe(404);
    expect((await remove(owner)).statusCode).toBe(404);
    expect(await myIds(owner)).toEqual([]);
  });

  it('GET /me/workouts lists every own workout newest first, walking keyset pages without repeats or gaps', async () => {
    const owner = await fresh('lister');
    const other = await fresh('listoth');
    await create(other, { visibility: 'public' });
    // Two share a start time, so the id decides between them; visibilities vary, all are listed.
    const starts = ['2024-03-02T10:00:00.000Z', '2024-03-05T10:00:00.000Z', '2024-03-03T10:00:00.000Z', '2024-03-03T10:00:00.000Z', '2024-03-01T10:00:00.000Z'];
    const visibilities = ['public', 'followers', 'only_me', 'public', 'only_me'];
    const created: { id: string; startedAt: string }[] = [];
    for (const [index, startedAt] of starts.entries()) created.push(await create(owner, { startedAt, visibility: visibilities[index], title: `Ride ${index}` }));
    const expected = [...created]
      .sort((a, b) => (a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1))
      .map((w) => w.id);

    const whole = (await get(owner, '/api/v1/me/workouts')).json();
    expect(whole.items.map((w: { id: string }) => w.id)).toEqual(expected);
    expect(whole.nextCursor).toBeNull();
    expect(whole.items).toEqual(expected.map((id) => created.find((w) => w.id === id)));

    for (const limit of [1, 2]) {
      const walked: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(owner, `/api/v1/me/workouts?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json();
        expect(page.items.length).toBeLessThanOrEqual(limit);
        walked.push(...page.items.map((w: { id: string }) => w.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(walked, `limit=${limit}`).toEqual(expected);
    }
    for (const query of ['limit=0', 'limit=101', 'limit=x', 'cursor=bm90LWEtY3Vyc29y', 'cursor=%25%25']) {
      expect((await get(owner, `/api/v1/me/workouts?${query}`)).statusCode, query).toBe(400);
    }
    expect((await get(null, '/api/v1/me/workouts')).statusCode).toBe(401);
  });

  it("GET /users/{id}/workouts: 404 for blocked or unknown members, 403 private_profile without the profile view, else the visible ones", async () => {
    const owner = await fresh('shower');
    const fan = await fresh('showfan');
    const stranger = await fresh('showstr');
    const blocker = await fresh('showblk');
    await follow(fan, owner);
    const open = await create(owner, { visibility: 'public', startedAt: '2024-02-03T00:00:00.000Z' });
    const shared = await create(owner, { visibility: 'followers', startedAt: '2024-02-02T00:00:00.000Z' });
    const secret = await create(owner, { visibility: 'only_me', startedAt: '2024-02-01T00:00:00.000Z' });
    const url = `/api/v1/users/${owner.id}/workouts`;
    const ids = async (who: Member) => {
      const res = await get(who, url);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items.map((w: { id: string }) => w.id);
    };

    expect(await ids(owner)).toEqual([open.id, shared.id, secret.id]);
    expect(await ids(fan)).toEqual([open.id, shared.id]);
    const hidden = await get(stranger, url);
    expect(hidden.statusCode).toBe(403);
    expect(hidden.json().code).toBe('private_profile');

    await client.request('PATCH', '/api/v1/me', { token: owner.token, body: { privacy: { profile: 'public' } } });
    expect(await ids(stranger)).toEqual([open.id]);
    expect(await ids(fan)).toEqual([open.id, shared.id]);

    const unknown = await get(stranger, `/api/v1/users/${unknownId}/workouts`);
    await block(owner, blocker);
    await expectLikeUnknown(await get(blocker, url), unknown);
    await block(stranger, owner);
    await expectLikeUnknown(await get(stranger, url), unknown);
  });

  it('GET /me/export holds the caller\'s workouts as workout views, and nobody else\'s', async () => {
    const owner = await fresh('exporter');
    const other = await fresh('exother', 'public');
    await follow(owner, other);
    await create(owner, { visibility: 'only_me', startedAt: '2024-01-02T00:00:00.000Z' });
    await create(owner, { visibility: 'public', classId, startedAt: '2024-01-03T00:00:00.000Z', distanceKm: 21.5 });
    const theirs = await create(other, { visibility: 'public' });
    const res = await get(owner, '/api/v1/me/export');
    expect(res.statusCode, res.body).toBe(200);
    const exported = res.json().workouts as Record<string, unknown>[];
    expect(exported).toEqual((await get(owner, '/api/v1/me/workouts')).json().items);
    expect(exported).toHaveLength(2);
    for (const workout of exported) {
      expect(Object.keys(workout).sort()).toEqual(workoutKeys);
      expect(workout.userId).toBe(owner.id);
    }
    expect(res.body).not.toContain(theirs.id);
  });

  it('DELETE /me removes the member\'s workouts and their leaderboard entries', async () => {
    const leaver = await fresh('leaver', 'public');
    const fan = await fresh('leavefan');
    const keeper = await fresh('keeper', 'public');
    const gone = await create(leaver, { visibility: 'public', classId, totalOutputKj: 900 });
    const kept = await create(keeper, { visibility: 'public', classId, totalOutputKj: 100 });
    const board = async () => (await get(fan, `/api/v1/classes/${classId}/leaderboard?limit=100`)).json().items;
    expect((await board()).map((e: { user: { id: string } | null }) => e.user?.id)).toEqual(expect.arrayContaining([leaver.id, keeper.id]));
    expect((await get(fan, `/api/v1/workouts/${gone.id}`)).statusCode).toBe(200);

    const res = await client.request('DELETE', '/api/v1/me', { token: leaver.token, body: { password: leaver.password } });
    expect(res.statusCode, res.body).toBe(204);
    expect((await get(fan, `/api/v1/workouts/${gone.id}`)).statusCode).toBe(404);
    const after = await board();
    expect(after.map((e: { totalOutputKj: number }) => e.totalOutputKj)).not.toContain(900);
    expect(after.map((e: { user: { id: string } | null }) => e.user?.id)).not.toContain(leaver.id);
    expect((await get(fan, `/api/v1/workouts/${kept.id}`)).statusCode).toBe(200);
  });
});
