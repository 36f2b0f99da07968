/**
 * Privacy settings, follows and blocks through the HTTP API, on both dialects: each setting takes
 * effect on the very next request, and blocked pairs are invisible to each other everywhere.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type Client, type Member, createClient } from './support/http.js';

describeEachDialect('privacy, follows and blocks', (dialect) => {
  let database: TestDatabase;
  let client: Client;
  let counter = 0;
  const fresh = (name: string, profile: 'public' | 'private' = 'private') => client.member(`${name}_${dialect.slice(0, 2)}${++counter}`, { profile });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    client = await createClient(database.data);
  });
  afterAll(async () => {
    await client.app.close();
    await database.dispose();
  });

  const get = (viewer: Member, url: string) => client.request('GET', url, { token: viewer.token });
  const patch = (viewer: Member, body: unknown) => client.request('PATCH', '/api/v1/me', { token: viewer.token, body });

  it('a change of profile privacy applies on the very next request, both ways', async () => {
    const owner = await fresh('flip');
    const stranger = await fresh('look');
    await patch(owner, { bio: 'kept private' });
    expect(Object.keys((await get(stranger, `/api/v1/users/${owner.id}`)).json())).not.toContain('bio');
    await patch(owner, { privacy: { profile: 'public' } });
    expect((await get(stranger, `/api/v1/users/${owner.id}`)).json().bio).toBe('kept private');
    await patch(owner, { privacy: { profile: 'private' } });
    const again = (await get(stranger, `/api/v1/users/${owner.id}`)).json();
    expect(again).toEqual({ id: owner.id, username: owner.username, displayName: owner.username, isPrivate: true });
    expect((await get(stranger, `/api/v1/users/${owner.id}/followers`)).json().code).toBe('private_profile');
  });

  it('following a public member is immediate; a private one needs approval', async () => {
    const open = await fresh('open', 'public');
    const closed = await fresh('closed');
    const fan = await fresh('fan');
    expect((await client.request('POST', `/api/v1/users/${open.id}/follow`, { token: fan.token })).json()).toEqual({ state: 'following' });
    expect((await client.request('POST', `/api/v1/users/${closed.id}/follow`, { token: fan.token })).json()).toEqual({ state: 'requested' });
    // A pending request grants nothing.
    expect(Object.keys((await get(fan, `/api/v1/users/${closed.id}`)).json())).not.toContain('bio');
    expect((await get(closed, '/api/v1/me/follow-requests')).json().items.map((c: Member) => c.id)).toEqual([fan.id]);
    expect((await client.request('POST', `/api/v1/me/follow-requests/${fan.id}/approve`, { token: closed.token })).statusCode).toBe(204);
    const profile = (await get(fan, `/api/v1/users/${closed.id}`)).json();
    expect(profile.followerCount).toBe(1);
    expect((await get(fan, `/api/v1/users/${closed.id}/followers`)).json().items.map((c: Member) => c.id)).toEqual([fan.id]);
    // Removing the follower takes the profile view away again.
    expect((await client.request('DELETE', `/api/v1/me/followers/${fan.id}`, { token: closed.token })).statusCode).toBe(204);
    expect(Object.keys((await get(fan, `/api/v1/users/${closed.id}`)).json())).not.toContain('bio');
  });

  it('pending requests stay pending when a private member turns public', async () => {
    const owner = await fresh('turns');
    const asker = await fresh('asker');
    await client.request('POST', `/api/v1/users/${owner.id}/follow`, { token: asker.token });
    await patch(owner, { privacy: { profile: 'public' } });
    expect((await get(owner, '/api/v1/me/follow-requests')).json().items.map((c: Member) => c.id)).toEqual([asker.id]);
    expect((await client.request('POST', `/api/v1/users/${owner.id}/follow`, { token: asker.token })).json()).toEqual({ state: 'requested' });
    expect((await get(asker, `/api/v1/users/${owner.id}`)).json().followerCount).toBe(0);
  });

  it('searchable=false hides a member from search for everyone, the member included', async () => {
    const hidden = await fresh('zsearch', 'public');
    const other = await fresh('zseek');
    const find = async (viewer: Member) => (await get(viewer, `/api/v1/users?q=${hidden.username}`)).json().items.map((c: Member) => c.id);
    expect(await find(other)).toEqual([hidden.id]);
    await patch(hidden, { privacy: { searchable: false } });
    expect(await find(other)).toEqual([]);
    expect(await find(hidden)).toEqual([]);
    // Still reachable by id: searchable governs search only.
    expect((await get(other, `/api/v1/users/${hidden.id}`)).statusCode).toBe(200);
  });

  it('search matches prefixes of usernames and display names, wildcards literally', async () => {
    const percent = await fresh('pct');
    await patch(percent, { displayName: '100% Effort' });
    const underscore = await fresh('und');
    await patch(underscore, { displayName: '1_0 Effort' });
    const seeker = await fresh('seek');
    const find = async (q: string) => (await get(seeker, `/api/v1/users?q=${encodeURIComponent(q)}`)).json().items.map((c: Member) => c.id);
    expect(await find('100%')).toEqual([percent.id]);
    expect(await find('1%')).toEqual([]);
    expect(await find('1_')).toEqual([underscore.id]);
    expect(await find('100% EFF')).toEqual([percent.id]);
  });

  it('a block hides each member from the other everywhere, and ends follows both ways', async () => {
    const blocker = await fresh('blocker', 'public');
    const target = await fresh('target', 'public');
    const witness = await fresh('witness', 'public');
    await client.request('POST', `/api/v1/users/${blocker.id}/follow`, { token: target.token });
    await client.request('POST', `/api/v1/users/${target.id}/follow`, { token: blocker.token });
    await client.request('POST', `/api/v1/users/${witness.id}/follow`, { token: target.token });
    expect((await client.request('POST', `/api/v1/users/${target.id}/block`, { token: blocker.token })).statusCode).toBe(204);

    for (const [viewer, other] of [
      [blocker, target],
      [target, blocker],
    ] as const) {
      expect((await get(viewer, `/api/v1/users/${other.id}`)).statusCode).toBe(404);
      expect((await get(viewer, `/api/v1/users/by-username/${other.username}`)).statusCode).toBe(404);
      expect((await get(viewer, `/api/v1/users/${other.id}/followers`)).statusCode).toBe(404);
      expect((await get(viewer, `/api/v1/users?q=${other.username}`)).json().items).toEqual([]);
      expect((await client.request('POST', `/api/v1/users/${other.id}/follow`, { token: viewer.token })).statusCode).toBe(404);
    }
    // The blocked member vanishes from third-party lists as the blocker sees them, and counts agree.
    const witnessFollowers = (await get(blocker, `/api/v1/users/${witness.id}/followers`)).json().items;
    expect(witnessFollowers).toEqual([]);
    expect((await get(blocker, `/api/v1/users/${witness.id}`)).json().followerCount).toBe(0);
    expect((await get(target, `/api/v1/users/${witness.id}`)).json().followerCount).toBe(1);
    // The follows are gone, and stay gone after unblocking.
    expect((await get(blocker, '/api/v1/me/blocks')).json().items.map((c: Member) => c.id)).toEqual([target.id]);
    expect((await client.request('DELETE', `/api/v1/users/${target.id}/block`, { token: blocker.token })).statusCode).toBe(204);
    expect((await get(target, `/api/v1/users/${blocker.id}`)).json().followerCount).toBe(0);
    expect((await get(blocker, `/api/v1/users/${target.id}`)).json().followerCount).toBe(0);
  });

  it('an unknown id and an invisible one get the same answer', async () => {
    const hider = await fresh('hider');
    const prober = await fresh('prober');
    await client.request('POST', `/api/v1/users/${prober.id}/block`, { token: hider.token });
    const hidden = await get(prober, `/api/v1/users/${hider.id}`);
    const absent = await get(prober, '/api/v1/users/01930000-0000-7000-8000-000000000000');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).toBe(absent.body);
    expect(Object.keys(hidden.headers).sort()).toEqual(Object.keys(absent.headers).sort());
  });

  it('PATCH /me rejects read-only and unknown properties and changes nothing (mass assignment)', async () => {
    const member = await fresh('mass');
    const before = (await get(member, '/api/v1/me')).json();
    for (const body of [
      { role: 'admin' },
      { id: '01930000-0000-7000-8000-000000000000' },
      { email: 'someone.else@example.test' },
      { username: 'renamed' },
      { followerCount: 1_000_000 },
      { workoutCount: 5 },
      { bio: 'valid', role: 'admin' },
      { privacy: { profile: 'public', admin: true } },
    ]) {
      const response = await patch(member, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }
    expect((await get(member, '/api/v1/me')).json()).toEqual(before);
  });
});
