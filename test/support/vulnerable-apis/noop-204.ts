/**
 * Sound, but a member writing someone else's note (PATCH or DELETE) or calling the admin-only
 * suspend gets the same empty 204 as a legitimate caller, and nothing changes. Owners' PATCH and
 * DELETE answer 204 too. Credentials: a static session cookie.
 */
import { NoteStore, type VulnerableApi, adminPaths, cast, cookieAuth, identitiesFor, mePaths, newApp, notesPaths, openapi, registerAdmin, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export async function startNoop204Api(): Promise<VulnerableApi> {
  const people = cast();
  const auth = cookieAuth(people, 'session');
  const doc = openapi('Notes (silent 204 on refused writes)', '3.1.0', schemes.cookie('session'), {
    ...mePaths(true),
    ...notesPaths({ create: true, patch: 'empty', delete: true }),
    ...adminPaths(),
  });
  const app = newApp(doc);
  registerMe(app, { auth, patch: 'sound' });
  registerNotes(app, { auth, store: new NoteStore(people), create: true, patch: 'empty', delete: true, foreignWrite: 'noop-204' });
  registerAdmin(app, { auth, people, memberSuspend: 'noop-204' });
  return serve(app, identitiesFor(people, (m) => ({ cookies: { session: m.token } }), true), () => secretsOf(people));
}
