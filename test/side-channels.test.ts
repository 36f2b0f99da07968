/**
 * Side channels are part of the rule (DESIGN.md): a workout the caller may not see must not show
 * through a count, an order or a presence. Each case builds two worlds that differ only by such
 * workouts and checks that the caller's answers are identical once ids that must differ are
 * dropped. Then the "very next request" rule: privacy changes, blocks and visibility changes
 * take effect at once on every read that could reveal a workout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, type Member, createClient } from './support/http.js';

const unknownId = '00000000-0000-4000-8000-000000000000';
const reason = { 'x-access-reason': 'side-channel test: moderation case 99' };
const at = (day: number) => `2024-06-${String(day).padStart(2, '0')}T07:00:00.000Z`;

interface Entry {
  rank: number;
  totalOutputKj: number;
  user: { id: string; username: string } | null;
}

describeEachDialect('side channels', (dialect) => {
  let database: TestDatabase;
  let client: Client;
  let admin: Member;
  let coach: Member;
  /** The caller whose answers are compared across worlds. */
  let me: Member;
  let counter = 0;
  const name = (prefix: string) => `${prefix}_${dialect.slice(0, 2)}${++counter}`;
  const fresh = (prefix: string, profile: 'public' | 'private' = 'private') => client.member(name(prefix), { profile });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    client = await createClient(database.data);
    admin = await client.member(name('boss'), { role: 'admin' });
    coach = await client.member(name('coach'), { role: 'instructor' });
    me = await fresh('me', 'public');
  });
  afterAll(async () => {
    await client?.app.close();
    await database?.dispose();
  });

  const get = (viewer: Member, url: string) => client.request('GET', url, { token: viewer.token });
  const send = async (method: string, viewer: Member, url: string, body?: unknown) => {
    const res = await client.request(method, url, { token: viewer.token, ...(body !== undefined ? { body } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };
  const setPrivacy = (member: Member, privacy: Record<string, unknown>) => send('PATCH', member, '/api/v1/me', { privacy });
  const block = (blocker: Member, blocked: Member) => send('POST', blocker, `/api/v1/users/${blocked.id}/block`);
  async function follow(fan: Member, idol: Member) {
    const res = await send('POST', fan, `/api/v1/users/${idol.id}/follow`);
    if (res.json().state === 'requested') await send('POST', idol, `/api/v1/me/follow-requests/${fan.id}/approve`);
  }
  async function newClass(): Promise<string> {
    const body = { title: 'Intervals', discipline: 'cycling', durationSeconds: 1800, difficulty: 6, airedAt: '2024-06-01T06:00:00.000Z' };
    return (await send('POST', coach, '/api/v1/classes', body)).json().id;
  }
  async function ride(owner: Member, overrides: Record<string, unknown>): Promise<{ id: string }> {
    const body = { discipline: 'cycling', title: 'Ride', startedAt: at(10), durationSeconds: 1800, visibility: 'public', ...overrides };
    return (await send('POST', owner, '/api/v1/workouts', body)).json();
  }

  /** Ranks, outputs and who is named (by username, or null): everything a leaderboard can tell. */
  async function leaderboard(viewer: Member, classId: string, limit = 100) {
    const res = await get(viewer, `/api/v1/classes/${classId}/leaderboard?limit=${limit}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as Entry[]).map((e) => ({ rank: e.rank, totalOutputKj: e.totalOutputKj, user: e.user?.username ?? null }));
  }

  /** Every page of a member's workout list without the ids (which differ between worlds). */
  async function walk(viewer: Member, owner: Member, limit: number) {
    const pages = [];
    let cursor: string | null = null;
    do {
      const res = await get(viewer, `/api/v1/users/${owner.id}/workouts?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      if (res.statusCode !== 200) return { status: res.statusCode, body: res.json() };
      const page = res.json();
      cursor = page.nextCursor;
      pages.push({
        items: page.items.map(({ id: _id, userId: _userId, createdAt: _createdAt, ...rest }: Record<string, unknown>) => rest),
        hasNext: cursor !== null,
      });
    } while (cursor !== null && pages.length < 20);
    return { status: 200, pages };
  }

  /** The profile view minus what names the member; counts, privacy flag and shape remain. */
  async function profile(viewer: Member, owner: Member) {
    const res = await get(viewer, `/api/v1/users/${owner.id}`);
    if (res.statusCode !== 200) return { status: res.statusCode, body: res.body };
    const { id: _id, username: _username, displayName: _displayName, createdAt: _createdAt, ...rest } = res.json();
    return { status: 200, keys: Object.keys(res.json()).sort(), ...rest };
  }

  it('a class leaderboard: invisible and left-out workouts change no rank, output, name or length', async () => {
    const [classA, classB] = [await newClass(), await newClass()];
    const open = await fresh('open', 'public');
    const friend = await fresh('friend');
    const closed = await fresh('closed');
    const other = await fresh('other');
    const blocker = await fresh('blocker');
    const hider = await fresh('hider', 'public');
    const banned = await fresh('banned', 'public');
    await follow(me, friend);
    await block(blocker, me);

    // What both worlds share: a named public rider, a named followed rider, a private athlete.
    for (const classId of [classA, classB]) {
      await ride(open, { classId, totalOutputKj: 300, startedAt: at(3) });
      await ride(friend, { classId, totalOutputKj: 250, startedAt: at(4), visibility: 'followers' });
      await ride(closed, { classId, totalOutputKj: 200, startedAt: at(5), visibility: 'public' });
    }
    // World A: a private athlete the caller merely does not follow.
    await ride(other, { classId: classA, totalOutputKj: 150, startedAt: at(6), visibility: 'followers' });
    // World B: in the same place, an athlete who blocked the caller; nothing may set it apart.
    await ride(blocker, { classId: classB, totalOutputKj: 150, startedAt: at(6), visibility: 'public' });
    // World B only: the highest output but only_me; a hidden athlete tying the friend, earlier;
    // a suspended athlete; an only_me tie started first; a ride without an output.
    await ride(open, { classId: classB, totalOutputKj: 999, startedAt: at(1), visibility: 'only_me' });
    await ride(friend, { classId: classB, totalOutputKj: 250, startedAt: at(1), visibility: 'only_me' });
    await ride(hider, { classId: classB, totalOutputKj: 500, startedAt: at(1) });
    await ride(hider, { classId: classB, totalOutputKj: 250, startedAt: at(2) });
    await ride(banned, { classId: classB, totalOutputKj: 400, startedAt: at(1) });
    await ride(open, { classId: classB, totalOutputKj: null, startedAt: at(1) });
    await setPrivacy(hider, { leaderboard: 'hidden' });
    const suspended = await client.request('POST', `/api/v1/admin/users/${banned.id}/suspend`, { token: admin.token, headers: reason });
    expect(suspended.statusCode, suspended.body).toBe(204);

    const expected = [
      { rank: 1, totalOutputKj: 300, user: open.username },
      { rank: 2, totalOutputKj: 250, user: friend.username },
      { rank: 3, totalOutputKj: 200, user: null },
      { rank: 4, totalOutputKj: 150, user: null },
    ];
    for (const limit of [100, 3, 2, 1]) {
      const a = await leaderboard(me, classA, limit);
      expect(a, `limit=${limit}`).toEqual(expected.slice(0, limit));
      expect(await leaderboard(me, classB, limit), `limit=${limit}`).toEqual(a);
    }
    // Another caller who sees less still cannot tell the worlds apart.
    const outsider = await fresh('outsider');
    expect(await leaderboard(outsider, classB)).toEqual(await leaderboard(outsider, classA));
    // The worlds really differ: the owners hold the extra rides.
    expect((await get(open, '/api/v1/me/workouts?limit=100')).json().items).toHaveLength(4);
    expect((await get(hider, '/api/v1/me/workouts?limit=100')).json().items).toHaveLength(2);
  });

  describe('a member\'s workout list and workoutCount', () => {
    // Four owners: A and B public, C and D private (the caller an approved follower of both).
    // B and D hold the same visible workouts as A and C, plus invisible ones interleaved in time.
    let publicA: Member;
    let publicB: Member;
    let privateC: Member;
    let privateD: Member;
    let stranger: Member;
    let blocker: Member;

    beforeAll(async () => {
      [publicA, publicB, privateC, privateD, stranger, blocker] = [
        await fresh('puba', 'public'),
        await fresh('pubb', 'public'),
        await fresh('privc'),
        await fresh('privd'),
        await fresh('strngr'),
        await fresh('blockr', 'public'),
      ];
      await follow(me, privateC);
      await follow(me, privateD);
      const shared = [
        { startedAt: at(5), title: 'Tempo', totalOutputKj: 310 },
        { startedAt: at(3), title: 'Endurance', totalOutputKj: 420, visibility: 'followers' },
        { startedAt: at(3), title: 'Endurance', totalOutputKj: 420, visibility: 'followers' },
        { startedAt: at(1), title: 'Recovery', totalOutputKj: 90 },
      ];
      const hidden = [
        { startedAt: at(9), title: 'Secret', visibility: 'only_me' },
        { startedAt: at(4), title: 'Secret', visibility: 'only_me' },
        { startedAt: at(3), title: 'Secret', visibility: 'only_me' },
        { startedAt: at(1), title: 'Secret', visibility: 'only_me' },
      ];
      // For a non-follower of a public profile, followers-only workouts are invisible too.
      const followersOnly = [
        { startedAt: at(8), title: 'Inner circle', visibility: 'followers' },
        { startedAt: at(2), title: 'Inner circle', visibility: 'followers' },
      ];
      for (const workout of shared) {
        for (const owner of [publicA, publicB, privateC, privateD]) await ride(owner, workout);
      }
      for (const workout of hidden) for (const owner of [publicB, privateD]) await ride(owner, workout);
      // The caller does not follow the public owners, so these are invisible to them.
      for (const workout of followersOnly) await ride(publicB, workout);
      for (const workout of shared) await ride(blocker, workout);
      await block(blocker, me);
    });

    it('lists: same items, page sizes and nextCursor presence in both worlds, at every page size', async () => {
      for (const limit of [1, 2, 3, 20]) {
        const a = await walk(me, publicA, limit);
        expect(a.status).toBe(200);
        expect(await walk(me, publicB, limit), `public, limit=${limit}`).toEqual(a);
        const c = await walk(me, privateC, limit);
        expect(await walk(me, privateD, limit), `private, limit=${limit}`).toEqual(c);
      }
      // The public list shows the caller only public workouts; the followed one also followers ones.
      const visibleA = (await walk(me, publicA, 20)).pages?.flatMap((p) => p.items);
      expect(visibleA?.map((w: { title: unknown }) => w.title)).toEqual(['Tempo', 'Recovery']);
      const visibleC = (await walk(me, privateC, 20)).pages?.flatMap((p) => p.items);
      expect(visibleC?.map((w: { title: unknown }) => w.title)).toEqual(['Tempo', 'Endurance', 'Endurance', 'Recovery']);
      // A non-follower of a private profile gets one answer, whatever the profile holds.
      const hiddenC = await walk(stranger, privateC, 20);
      expect(hiddenC).toMatchObject({ status: 403, body: { code: 'private_profile' } });
      expect(await walk(stranger, privateD, 20)).toEqual(hiddenC);
      // A member who blocked the caller has no list at all, exactly like an unknown member.
      const unknown = await get(me, `/api/v1/users/${unknownId}/workouts`);
      const blocked = await get(me, `/api/v1/users/${blocker.id}/workouts`);
      expect(blocked.statusCode).toBe(404);
      expect(blocked.body).toBe(unknown.body);
      // The worlds really differ: the owners' own lists are longer.
      expect((await walk(publicB, publicB, 100)).pages?.[0]?.items).toHaveLength(10);
      expect((await walk(privateD, privateD, 100)).pages?.[0]?.items).toHaveLength(8);
    });

    it('workoutCount: the same count in both worlds, and the count of what the caller can list', async () => {
      const a = await profile(me, publicA);
      expect(a).toMatchObject({ status: 200, workoutCount: 2 });
      expect(await profile(me, publicB)).toEqual(a);
      const c = await profile(me, privateC);
      expect(c).toMatchObject({ status: 200, workoutCount: 4 });
      expect(await profile(me, privateD)).toEqual(c);
      // Without the profile view there is no count to compare: the same card shape in both worlds.
      const cardC = await profile(stranger, privateC);
      expect(cardC).toEqual({ status: 200, keys: ['displayName', 'id', 'isPrivate', 'username'], isPrivate: true });
      expect(await profile(stranger, privateD)).toEqual(cardC);
      const unknown = await get(me, `/api/v1/users/${unknownId}`);
      const blocked = await get(me, `/api/v1/users/${blocker.id}`);
      expect(blocked.statusCode).toBe(404);
      expect(blocked.body).toBe(unknown.body);
      // The owners count everything of their own.
      expect(await profile(publicB, publicB)).toMatchObject({ workoutCount: 10 });
      expect(await profile(privateD, privateD)).toMatchObject({ workoutCount: 8 });
    });
  });

  /** What one caller can learn about one workout, from every read that could reveal it. */
  async function observe(viewer: Member, owner: Member, workoutId: string, classId: string) {
    const workout = await get(viewer, `/api/v1/workouts/${workoutId}`);
    const list = await get(viewer, `/api/v1/users/${owner.id}/workouts`);
    const shown = await get(viewer, `/api/v1/users/${owner.id}`);
    const board = await get(viewer, `/api/v1/classes/${classId}/leaderboard`);
    return {
      workout: workout.statusCode,
      list: list.statusCode === 200 ? list.json().items.map((w: { id: string }) => w.id) : list.statusCode === 403 ? list.json().code : list.statusCode,
      workoutCount: shown.statusCode === 200 ? (shown.json().workoutCount ?? 'card') : shown.statusCode,
      board: (board.json().items as Entry[]).map((e) => ({ output: e.totalOutputKj, user: e.user?.id ?? null })),
    };
  }

  it('very next request: a profile turning private hides its workouts everywhere, and back', async () => {
    const owner = await fresh('flipper', 'public');
    const classId = await newClass();
    const workout = await ride(owner, { classId, totalOutputKj: 321 });
    const seen = { workout: 200, list: [workout.id], workoutCount: 1, board: [{ output: 321, user: owner.id }] };
    expect(await observe(me, owner, workout.id, classId)).toEqual(seen);
    await setPrivacy(owner, { profile: 'private' });
    expect(await observe(me, owner, workout.id, classId)).toEqual({ workout: 404, list: 'private_profile', workoutCount: 'card', board: [{ output: 321, user: null }] });
    await setPrivacy(owner, { profile: 'public' });
    expect(await observe(me, owner, workout.id, classId)).toEqual(seen);
  });

  it('very next request: hiding from leaderboards removes every entry at once, and only there', async () => {
    const owner = await fresh('shy', 'public');
    const classId = await newClass();
    const workout = await ride(owner, { classId, totalOutputKj: 222 });
    const seen = { workout: 200, list: [workout.id], workoutCount: 1, board: [{ output: 222, user: owner.id }] };
    expect(await observe(me, owner, workout.id, classId)).toEqual(seen);
    await setPrivacy(owner, { leaderboard: 'hidden' });
    expect(await observe(me, owner, workout.id, classId)).toEqual({ ...seen, board: [] });
    expect((await observe(owner, owner, workout.id, classId)).board).toEqual([]);
    await setPrivacy(owner, { leaderboard: 'visible' });
    expect(await observe(me, owner, workout.id, classId)).toEqual(seen);
  });

  it('very next request: a block hides the blocker\'s workouts and makes both anonymous on leaderboards', async () => {
    const owner = await fresh('blockee', 'public');
    const classId = await newClass();
    const workout = await ride(owner, { classId, totalOutputKj: 400 });
    const mine = await ride(me, { classId, totalOutputKj: 100 });
    const seen = { workout: 200, list: [workout.id], workoutCount: 1, board: [{ output: 400, user: owner.id }, { output: 100, user: me.id }] };
    expect(await observe(me, owner, workout.id, classId)).toEqual(seen);
    expect((await observe(owner, me, mine.id, classId)).workout).toBe(200);

    await block(owner, me);
    expect(await observe(me, owner, workout.id, classId)).toEqual({ workout: 404, list: 404, workoutCount: 404, board: [{ output: 400, user: null }, { output: 100, user: me.id }] });
    expect(await observe(owner, me, mine.id, classId)).toEqual({ workout: 404, list: 404, workoutCount: 404, board: [{ output: 400, user: owner.id }, { output: 100, user: null }] });

    await send('DELETE', owner, `/api/v1/users/${me.id}/block`);
    expect(await observe(me, owner, workout.id, classId)).toEqual(seen);
  });

  it("very next request: a workout's visibility change applies to every read", async () => {
    const owner = await fresh('changer', 'public');
    const fan = await fresh('fanof');
    await follow(fan, owner);
    const classId = await newClass();
    const workout = await ride(owner, { classId, totalOutputKj: 275 });
    const url = `/api/v1/workouts/${workout.id}`;
    const named = { workout: 200, list: [workout.id], workoutCount: 1, board: [{ output: 275, user: owner.id }] };
    expect(await observe(me, owner, workout.id, classId)).toEqual(named);

    await send('PATCH', owner, url, { visibility: 'followers' });
    expect(await observe(me, owner, workout.id, classId)).toEqual({ workout: 404, list: [], workoutCount: 0, board: [{ output: 275, user: null }] });
    expect(await observe(fan, owner, workout.id, classId)).toEqual(named);

    await send('PATCH', owner, url, { visibility: 'only_me' });
    const gone = { workout: 404, list: [], workoutCount: 0, board: [] };
    expect(await observe(me, owner, workout.id, classId)).toEqual(gone);
    expect(await observe(fan, owner, workout.id, classId)).toEqual(gone);
    expect(await observe(owner, owner, workout.id, classId)).toEqual({ ...named, board: [] });

    await send('PATCH', owner, url, { visibility: 'public' });
    expect(await observe(me, owner, workout.id, classId)).toEqual(named);
  });
});
