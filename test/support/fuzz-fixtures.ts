import type { LightMyRequestResponse } from 'fastify';
import type { Client, Member } from './http.js';

/**
 * The objects a fuzz run points at: a signed-in member with a workout, a personal access token and
 * a second session; another member (followed, and asking to follow back); an instructor's class;
 * an admin. Requests that succeed may delete or revoke some of these, so `ensure` puts back
 * whatever is gone.
 */
export interface FuzzFixtures {
  member: Member;
  admin: Member;
  instructor: Member;
  /** Path and body values by parameter name: real ids of existing objects. */
  ids: Record<string, string>;
  /** A cursor the server issued. */
  cursor: string;
  ensure(): Promise<void>;
}

function ok(res: LightMyRequestResponse, what: string): LightMyRequestResponse {
  if (res.statusCode >= 300) throw new Error(`fuzz fixture ${what}: ${res.statusCode} ${res.body}`);
  return res;
}

export async function createFuzzFixtures(client: Client): Promise<FuzzFixtures> {
  const other = await client.member('fuzz_other', { profile: 'public' });
  const coach = await client.member('fuzz_coach', { role: 'instructor' });
  const admin = await client.member('fuzz_admin', { role: 'admin' });
  const airedAt = '2024-02-01T18:00:00Z';
  const newClass = async () =>
    ok(await client.request('POST', '/api/v1/classes', { token: coach.token, body: { title: 'Fuzz climb', discipline: 'cycling', durationSeconds: 1800, difficulty: 5, airedAt } }), 'class').json().id as string;
  const ids: Record<string, string> = { userId: other.id, username: other.username, classId: await newClass(), instructorId: coach.id };
  const workout = (token: string) => ({ token, body: { discipline: 'cycling', title: 'Fuzz ride', startedAt: '2024-02-02T07:00:00Z', durationSeconds: 1800, classId: ids.classId, totalOutputKj: 300 } });
  ok(await client.request('POST', '/api/v1/workouts', workout(other.token)), 'other workout');

  let generation = 0;
  let member = await client.member('fuzz_member');
  const state = { member, admin, instructor: coach, ids, cursor: '', ensure };

  /** Everything that belongs to the signed-in member, made afresh. */
  async function memberObjects(): Promise<void> {
    ids.workoutId = ok(await client.request('POST', '/api/v1/workouts', workout(member.token)), 'workout').json().id as string;
    await createToken();
    await secondSession();
    ok(await client.request('POST', `/api/v1/users/${other.id}/follow`, { token: member.token }), 'follow');
    ok(await client.request('POST', `/api/v1/users/${member.id}/follow`, { token: other.token }), 'follow request');
  }

  async function createToken(): Promise<void> {
    const res = ok(await client.request('POST', '/api/v1/me/tokens', { token: member.token, body: { name: 'fuzz', scopes: ['profile:read'] } }), 'token');
    ids.tokenId = res.json().id as string;
  }

  async function secondSession(): Promise<void> {
    ok(await client.request('POST', '/api/v1/auth/login', { body: { login: member.username, password: member.password } }), 'second login');
    const sessions = ok(await client.request('GET', '/api/v1/me/sessions?limit=1', { token: member.token }), 'sessions').json();
    const all = ok(await client.request('GET', '/api/v1/me/sessions?limit=100', { token: member.token }), 'sessions').json();
    ids.sessionId = (all.items as { id: string; current: boolean }[]).find((session) => !session.current)!.id;
    state.cursor = sessions.nextCursor as string;
  }

  async function repair(): Promise<void> {
    if ((await client.request('GET', `/api/v1/classes/${ids.classId}`)).statusCode !== 200) ids.classId = await newClass();
    if ((await client.request('GET', '/api/v1/me', { token: member.token })).statusCode !== 200) {
      const login = ok(await client.request('POST', '/api/v1/auth/login', { body: { login: member.username, password: member.password } }), 'login');
      member = { ...member, token: login.json().token as string };
      state.member = member;
    }
    if ((await client.request('GET', `/api/v1/workouts/${ids.workoutId}`, { token: member.token })).statusCode !== 200) {
      ids.workoutId = ok(await client.request('POST', '/api/v1/workouts', workout(member.token)), 'workout').json().id as string;
    }
    const tokens = ok(await client.request('GET', '/api/v1/me/tokens?limit=100', { token: member.token }), 'tokens').json().items as { id: string }[];
    if (!tokens.some((token) => token.id === ids.tokenId)) await createToken();
    const sessions = ok(await client.request('GET', '/api/v1/me/sessions?limit=100', { token: member.token }), 'sessions').json().items as { id: string }[];
    if (!sessions.some((session) => session.id === ids.sessionId)) await secondSession();
  }

  async function ensure(): Promise<void> {
    try {
      await repair();
    } catch {
      // Locked out by login throttling (the fuzz sends wrong passwords), or gone: carry on as a
      // new member.
      member = await client.member(`fuzz_member_${++generation}`);
      state.member = member;
      await memberObjects();
    }
  }

  await memberObjects();
  return state;
}
