/**
 * Flaw: GET /leaderboard, a list with no object reference in it, carries every member's email.
 * Everything else is sound. Credentials: static bearer tokens.
 */
import { NoteStore, type VulnerableApi, bearerAuth, cast, httpDeny, identitiesFor, mePaths, newApp, notesPaths, ok, openapi, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export async function startDataExposureApi(): Promise<VulnerableApi> {
  const people = cast();
  const auth = bearerAuth(people);
  const entry = { type: 'object', properties: { rank: { type: 'integer' }, username: { type: 'string' }, displayName: { type: 'string' }, points: { type: 'integer' }, email: { type: 'string' } } };
  const doc = openapi('Leaderboard (excessive data exposure)', '3.1.0', schemes.bearer, {
    ...mePaths(true),
    ...notesPaths({ create: true, patch: 'object', delete: true }),
    '/leaderboard': { get: { operationId: 'getLeaderboard', responses: ok('ranking', { type: 'object', properties: { items: { type: 'array', items: entry } } }) } },
  });
  const app = newApp(doc);
  registerMe(app, { auth, patch: 'sound' });
  registerNotes(app, { auth, store: new NoteStore(people), create: true, patch: 'object', delete: true });
  const points = new Map([
    [people.alice.id, 4210],
    [people.bob.id, 3980],
    [people.root.id, 120],
  ]);
  app.get('/leaderboard', async (req, reply) => {
    if (!auth(req)) return httpDeny(reply, 'unauthenticated');
    const ranked = [...people.all].sort((a, b) => (points.get(b.id) ?? 0) - (points.get(a.id) ?? 0));
    // The flaw: the whole member record's email goes out with each entry.
    return reply.send({ items: ranked.map((m, index) => ({ rank: index + 1, username: m.username, displayName: m.displayName, points: points.get(m.id) ?? 0, email: m.email })) });
  });
  return serve(app, identitiesFor(people, (m) => ({ headers: { Authorization: `Bearer ${m.token}` } }), false), () => secretsOf(people));
}
