/**
 * Flaw: GET /admin/users and POST /admin/users/{userId}/suspend check the session but not the
 * role, so any member lists users and suspends anyone (204, visible in the admin's read-back).
 * GET /admin/users/{userId} is admin-only. Credentials: a throttled login setting a cookie.
 */
import { LoginThrottle, Sessions, type VulnerableApi, adminPaths, cast, cookieValue, identitiesFor, loginPath, mePaths, newApp, openapi, registerAdmin, registerLogin, registerMe, schemes, secretsOf, serve } from './common.js';
import type { FastifyRequest } from 'fastify';

export async function startBflaApi(): Promise<VulnerableApi> {
  const people = cast();
  const sessions = new Sessions();
  const auth = (req: FastifyRequest) => sessions.lookup(cookieValue(req, 'sid'));
  const doc = openapi('Users (BFLA)', '3.0.3', schemes.cookie('sid'), { ...loginPath('cookie'), ...mePaths(true), ...adminPaths() });
  const app = newApp(doc);
  registerLogin(app, { people, sessions, throttle: new LoginThrottle(), deliver: { kind: 'cookie', name: 'sid' } });
  registerMe(app, { auth, patch: 'sound' });
  registerAdmin(app, { auth, people, memberList: 'FLAW-serves', memberSuspend: 'FLAW-applies' });
  const login = (m: { username: string; password: string }) => ({ login: { path: '/auth/login', json: { username: m.username, password: m.password }, token: 'cookie.sid' } });
  return serve(app, identitiesFor(people, login, true), () => [...secretsOf(people), ...sessions.issued()]);
}
