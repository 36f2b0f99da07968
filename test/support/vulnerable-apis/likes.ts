/**
 * Sound: members like each other's posts, which changes the post (its like counter and the list
 * of who liked it) by design. Only the author may edit a post. Nothing here is a flaw, so an
 * audit with writes must report nothing: a change made by an allowed action is no BOLA, and one
 * member's own gender is not another's exposed because they happen to be the same.
 */
import { randomBytes } from 'node:crypto';
import { type VulnerableApi, canaries, jsonBody, newApp, openapi, schemes, serve } from './common.js';

interface Post {
  id: string;
  author: 'alice' | 'bob';
  text: string;
  likes: number;
  likedBy: string[];
}

export async function startLikesApi(): Promise<VulnerableApi> {
  const tokens = { alice: `tok-alice-${randomBytes(8).toString('hex')}`, bob: `tok-bob-${randomBytes(8).toString('hex')}` };
  const posts: Post[] = [
    { id: `p${randomBytes(4).toString('hex')}`, author: 'alice', text: 'Morning ride', likes: 0, likedBy: [] },
    { id: `p${randomBytes(4).toString('hex')}`, author: 'bob', text: 'Hill repeats', likes: 0, likedBy: [] },
  ];
  const idParam = { name: 'postId', in: 'path', required: true, schema: { type: 'string' } };
  const doc = openapi('Likes (sound)', '3.1.0', schemes.bearer, {
    '/me': { get: { operationId: 'me', responses: { 200: { description: 'the caller' } } } },
    '/me/posts': { get: { operationId: 'myPosts', responses: { 200: { description: "the caller's posts" } } } },
    '/posts/{postId}': {
      get: { operationId: 'getPost', parameters: [idParam], responses: { 200: { description: 'a post' } } },
      patch: { operationId: 'editPost', parameters: [idParam], requestBody: jsonBody({ type: 'object', properties: { text: { type: 'string', maxLength: 280 } } }), responses: { 200: { description: 'edited' } } },
    },
    '/posts/{postId}/like': { post: { operationId: 'likePost', parameters: [idParam], responses: { 204: { description: 'liked' } } } },
  });
  const app = newApp(doc);
  const caller = (authorization: string | undefined) => (Object.entries(tokens).find(([, t]) => `Bearer ${t}` === authorization)?.[0] as Post['author'] | undefined);
  const view = (p: Post) => ({ id: p.id, author: p.author, text: p.text, likes: p.likes, likedBy: p.likedBy });
  app.get('/me', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    // Both members share a gender and a weight: values that single nobody out.
    return { username: me, email: `${me}@example.org`, gender: 'female', weightKg: 70, note: canaries[me] };
  });
  app.get('/me/posts', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    return { items: posts.filter((p) => p.author === me).map(view) };
  });
  app.get('/posts/:postId', async (req, reply) => {
    if (!caller(req.headers.authorization)) return reply.code(401).send({ error: 'unauthorized' });
    const post = posts.find((p) => p.id === (req.params as { postId: string }).postId);
    return post ? view(post) : reply.code(404).send({ error: 'not found' });
  });
  app.patch('/posts/:postId', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    const post = posts.find((p) => p.id === (req.params as { postId: string }).postId && p.author === me);
    if (!post) return reply.code(404).send({ error: 'not found' });
    const { text } = (req.body ?? {}) as { text?: unknown };
    if (typeof text === 'string') post.text = text.slice(0, 280);
    return view(post);
  });
  app.post('/posts/:postId/like', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    const post = posts.find((p) => p.id === (req.params as { postId: string }).postId);
    if (!post) return reply.code(404).send({ error: 'not found' });
    if (!post.likedBy.includes(me)) {
      post.likedBy.push(me);
      post.likes += 1;
    }
    return reply.code(204).send();
  });
  const identities = {
    version: 1,
    identities: {
      alice: { headers: { Authorization: `Bearer ${tokens.alice}` }, canaries: [canaries.alice] },
      bob: { headers: { Authorization: `Bearer ${tokens.bob}` }, canaries: [canaries.bob] },
    },
    publicFields: ['id', 'author', 'text', 'likes', 'likedBy'],
  };
  return serve(app, identities, () => Object.values(tokens));
}
