/**
 * Sound, but says no with status 200: `{ "error": "forbidden" }` for missing credentials and
 * non-admins on admin operations, `{ "success": false, "message": "not allowed" }` for someone
 * else's note, unknown ids and invalid bodies. GET /users/{userId} shows other members a public
 * card (id, username, displayName) by design. Credentials: a static X-Api-Key header.
 */
import { type Deny, NoteStore, type VulnerableApi, adminPaths, cast, headerAuth, identitiesFor, mePaths, newApp, notesPaths, ok, openapi, pathParam, profile, registerAdmin, registerMe, registerNotes, schemes, secretsOf, serve, userSchema } from './common.js';

const deny200: Deny = (reply, reason) =>
  reason === 'unauthenticated' || reason === 'forbidden'
    ? reply.code(200).send({ error: 'forbidden' })
    : reply.code(200).send({ success: false, message: 'not allowed' });

export async function startDeny200Api(): Promise<VulnerableApi> {
  const people = cast();
  const auth = headerAuth(people, 'X-Api-Key');
  const card = { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, username: { type: 'string' }, displayName: { type: 'string' } } };
  const doc = openapi('Notes (denies with 200)', '3.0.3', schemes.apiKey('X-Api-Key'), {
    ...mePaths(true),
    ...notesPaths({ create: true, patch: 'object', delete: true }),
    ...adminPaths(),
    '/users/{userId}': { get: { operationId: 'getUser', parameters: [pathParam('userId', 'uuid')], responses: ok('the full profile for oneself, a public card for others', { oneOf: [userSchema, card] }) } },
  });
  const app = newApp(doc);
  registerMe(app, { auth, deny: deny200, patch: 'sound' });
  registerNotes(app, { auth, deny: deny200, store: new NoteStore(people), create: true, patch: 'object', delete: true });
  registerAdmin(app, { auth, deny: deny200, people });
  app.get<{ Params: { userId: string } }>('/users/:userId', async (req, reply) => {
    const me = auth(req);
    if (!me) return deny200(reply, 'unauthenticated');
    const user = people.all.find((m) => m.id === req.params.userId);
    if (!user) return deny200(reply, 'not-found');
    if (user.id === me.id || me.role === 'admin') return reply.send(profile(user));
    return reply.send({ id: user.id, username: user.username, displayName: user.displayName });
  });
  return serve(app, identitiesFor(people, (m) => ({ headers: { 'X-Api-Key': m.token } }), true), () => secretsOf(people));
}
