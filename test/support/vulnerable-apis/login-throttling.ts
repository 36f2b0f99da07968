/**
 * Flaw: POST /auth/login answers every wrong password with the same quick 401, forever.
 * Everything else is sound.
 */
import { NoteStore, Sessions, type VulnerableApi, cast, identitiesFor, loginPath, mePaths, newApp, notesPaths, openapi, registerLogin, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';
import type { FastifyRequest } from 'fastify';

export async function startLoginThrottlingApi(): Promise<VulnerableApi> {
  const people = cast();
  const sessions = new Sessions();
  const auth = (req: FastifyRequest) => sessions.lookup(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]);
  const doc = openapi('Notes (no login throttling)', '3.0.3', schemes.bearer, { ...loginPath('body'), ...mePaths(true), ...notesPaths({ create: true, patch: 'object', delete: true }) });
  const app = newApp(doc);
  // The flaw: no throttle.
  registerLogin(app, { people, sessions, throttle: undefined, deliver: { kind: 'body' } });
  registerMe(app, { auth, patch: 'sound' });
  registerNotes(app, { auth, store: new NoteStore(people), create: true, patch: 'object', delete: true });
  const login = (m: { username: string; password: string }) => ({ login: { path: '/auth/login', json: { username: m.username, password: m.password }, token: 'body.token' } });
  return serve(app, identitiesFor(people, login, false), () => [...secretsOf(people), ...sessions.issued()]);
}
