/**
 * Flaw: GET /classes only checks that an Authorization header is present, never that its token is
 * valid, so a made-up token reads the members-only class schedule. Everything else checks tokens.
 */
import { NoteStore, type VulnerableApi, bearerAuth, cast, identitiesFor, mePaths, newApp, notesPaths, ok, openapi, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export async function startNoAuthApi(): Promise<VulnerableApi> {
  const people = cast();
  const auth = bearerAuth(people);
  const classSchema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, coach: { type: 'string' }, startsAt: { type: 'string', format: 'date-time' } } };
  const doc = openapi('Classes (no-auth flaw)', '3.1.0', schemes.bearer, {
    ...mePaths(false),
    ...notesPaths({ create: true }),
    '/classes': { get: { operationId: 'listClasses', summary: 'Members-only class schedule', responses: ok('classes', { type: 'object', properties: { items: { type: 'array', items: classSchema } } }) } },
  });
  const app = newApp(doc);
  registerMe(app, { auth });
  registerNotes(app, { auth, store: new NoteStore(people), create: true });
  const classes = [
    { id: 'c-101', name: 'Sunrise climb', coach: 'Dana', startsAt: '2026-03-02T06:00:00Z' },
    { id: 'c-102', name: 'Tabata 30', coach: 'Eli', startsAt: '2026-03-02T18:30:00Z' },
  ];
  app.get('/classes', async (req, reply) => {
    // The flaw: presence of a header instead of a valid token.
    if (!req.headers.authorization) return reply.code(401).send({ error: 'login required' });
    return reply.send({ items: classes });
  });
  return serve(app, identitiesFor(people, (m) => ({ headers: { Authorization: `Bearer ${m.token}` } }), false), () => secretsOf(people));
}
