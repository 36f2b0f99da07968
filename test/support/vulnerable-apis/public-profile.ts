/**
 * Flaw: GET /profiles/{userId} is public by design (the spec says so, and it answers anyone), but
 * each profile carries the member's birthday. The object may be read; a field of it may not:
 * data exposure, not BOLA. Static bearer tokens; GET /me is the member's own, complete view.
 */
import { randomBytes } from 'node:crypto';
import { type VulnerableApi, canaries, newApp, openapi, schemes, serve } from './common.js';

export async function startPublicProfileApi(): Promise<VulnerableApi> {
  const members = {
    alice: { id: 'u-4101', displayName: 'Alice A.', birthday: '1990-01-02', token: `tok-alice-${randomBytes(8).toString('hex')}` },
    bob: { id: 'u-4102', displayName: 'Bob B.', birthday: '1985-05-06', token: `tok-bob-${randomBytes(8).toString('hex')}` },
  };
  const doc = openapi('Public profiles (exposure)', '3.1.0', schemes.bearer, {
    '/me': { get: { operationId: 'me', responses: { 200: { description: 'the caller, complete' } } } },
    '/profiles/{userId}': {
      get: {
        operationId: 'getProfile',
        security: [],
        parameters: [{ name: 'userId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'a public profile' } },
      },
    },
  });
  const app = newApp(doc);
  const caller = (authorization: string | undefined) => Object.entries(members).find(([, m]) => `Bearer ${m.token}` === authorization);
  app.get('/me', async (req, reply) => {
    const found = caller(req.headers.authorization);
    if (!found) return reply.code(401).send({ error: 'unauthorized' });
    const [name, m] = found;
    return { id: m.id, displayName: m.displayName, birthday: m.birthday, note: canaries[name as 'alice' | 'bob'] };
  });
  app.get('/profiles/:userId', async (req, reply) => {
    const m = Object.values(members).find((x) => x.id === (req.params as { userId: string }).userId);
    // The flaw: the birthday rides along with the public fields.
    return m ? { id: m.id, displayName: m.displayName, birthday: m.birthday } : reply.code(404).send({ error: 'not found' });
  });
  const identities = {
    version: 1,
    identities: {
      alice: { headers: { Authorization: `Bearer ${members.alice.token}` }, canaries: [canaries.alice] },
      bob: { headers: { Authorization: `Bearer ${members.bob.token}` }, canaries: [canaries.bob] },
    },
    publicFields: ['id', 'displayName'],
  };
  return serve(app, identities, () => Object.values(members).map((m) => m.token));
}
