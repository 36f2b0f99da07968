/**
 * Flaw: GET /notes/{noteId} returns any member's note to any member (no owner check on reads).
 * Credentials come from a throttled login (token in the JSON body, sent as a bearer token).
 */
import { LoginThrottle, NoteStore, Sessions, type VulnerableApi, cast, identitiesFor, loginPath, mePaths, newApp, notesPaths, openapi, registerLogin, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export async function startBolaReadApi(): Promise<VulnerableApi> {
  const people = cast();
  const sessions = new Sessions();
  const auth = (req: { headers: { authorization?: string | undefined } }) => sessions.lookup(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]);
  const doc = openapi('Notes (BOLA on reads)', '3.0.3', schemes.bearer, { ...loginPath('body'), ...mePaths(true), ...notesPaths({ create: true, patch: 'object', delete: true }) });
  const app = newApp(doc);
  registerLogin(app, { people, sessions, throttle: new LoginThrottle(), deliver: { kind: 'body' } });
  registerMe(app, { auth, patch: 'sound' });
  registerNotes(app, { auth, store: new NoteStore(people), create: true, patch: 'object', delete: true, foreignRead: 'FLAW-serves' });
  const login = (m: { username: string; password: string }) => ({ login: { path: '/auth/login', json: { username: m.username, password: m.password }, token: 'body.token' } });
  return serve(app, identitiesFor(people, login, false), () => [...secretsOf(people), ...sessions.issued()]);
}
