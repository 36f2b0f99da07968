/**
 * Flaw: PATCH and DELETE /notes/{noteId} skip the owner check, so any member edits or deletes
 * anyone's note. Both answer 204, so only reading the note back shows the effect. Reads are sound.
 * Credentials: a static X-Api-Key header.
 */
import { NoteStore, type VulnerableApi, cast, headerAuth, identitiesFor, mePaths, newApp, notesPaths, openapi, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export async function startBolaWriteApi(): Promise<VulnerableApi> {
  const people = cast();
  const auth = headerAuth(people, 'X-Api-Key');
  const doc = openapi('Notes (BOLA on writes)', '3.1.0', schemes.apiKey('X-Api-Key'), { ...mePaths(true), ...notesPaths({ create: true, patch: 'empty', delete: true }) });
  const app = newApp(doc);
  registerMe(app, { auth, patch: 'sound' });
  registerNotes(app, { auth, store: new NoteStore(people), create: true, patch: 'empty', delete: true, foreignWrite: 'FLAW-applies' });
  return serve(app, identitiesFor(people, (m) => ({ headers: { 'X-Api-Key': m.token } }), false), () => secretsOf(people));
}
