/**
 * Flaw: PATCH /me merges every body property into the stored profile, role included (and GET
 * /me shows it). Note creation and updates read only their declared properties. Credentials: a
 * throttled login returning the session in a response header, sent back in the same header.
 */
import { LoginThrottle, NoteStore, Sessions, type VulnerableApi, cast, identitiesFor, loginPath, mePaths, newApp, notesPaths, openapi, registerLogin, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';
import type { FastifyRequest } from 'fastify';

export async function startMassAssignmentApi(): Promise<VulnerableApi> {
  const people = cast();
  const sessions = new Sessions();
  const header = 'X-Session-Token';
  const auth = (req: FastifyRequest) => {
    const value = req.headers[header.toLowerCase()];
    return sessions.lookup(typeof value === 'string' ? value : undefined);
  };
  const doc = openapi('Profiles (mass assignment)', '3.1.0', schemes.apiKey(header), { ...loginPath('header'), ...mePaths(true), ...notesPaths({ create: true, patch: 'object' }) });
  const app = newApp(doc);
  registerLogin(app, { people, sessions, throttle: new LoginThrottle(), deliver: { kind: 'header', name: header } });
  registerMe(app, { auth, patch: 'FLAW-merges-everything' });
  registerNotes(app, { auth, store: new NoteStore(people), create: true, patch: 'object' });
  const login = (m: { username: string; password: string }) => ({
    login: { path: '/auth/login', json: { username: m.username, password: m.password }, token: `header.${header}` },
    use: { header, value: '{token}' },
  });
  return serve(app, identitiesFor(people, login, false), () => [...secretsOf(people), ...sessions.issued()]);
}
