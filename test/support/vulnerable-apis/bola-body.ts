/**
 * Flaw: POST /exports takes note ids in its body and returns those notes without checking who
 * owns them. Everything else, the note reads included, is sound. Credentials: a static cookie.
 */
import { NoteStore, type VulnerableApi, cast, cookieAuth, httpDeny, identitiesFor, jsonBody, mePaths, newApp, noteSchema, noteView, notesPaths, ok, openapi, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export async function startBolaBodyApi(): Promise<VulnerableApi> {
  const people = cast();
  const auth = cookieAuth(people, 'sid');
  const store = new NoteStore(people);
  const exportInput = {
    type: 'object',
    required: ['noteIds'],
    properties: {
      noteIds: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', format: 'uuid' } },
      format: { type: 'string', enum: ['json', 'markdown'] },
    },
  };
  const exportAnswer = { type: 'object', properties: { format: { type: 'string' }, notes: { type: 'array', items: noteSchema } } };
  const doc = openapi('Notes (BOLA through body references)', '3.1.0', schemes.cookie('sid'), {
    ...mePaths(true),
    ...notesPaths({ create: true, patch: 'object' }),
    '/exports': { post: { operationId: 'exportNotes', summary: 'Export notes by id', requestBody: jsonBody(exportInput), responses: ok('the exported notes', exportAnswer) } },
  });
  const app = newApp(doc);
  registerMe(app, { auth, patch: 'sound' });
  registerNotes(app, { auth, store, create: true, patch: 'object' });
  app.post('/exports', async (req, reply) => {
    const me = auth(req);
    if (!me) return httpDeny(reply, 'unauthenticated');
    const body = req.body as { noteIds?: unknown; format?: unknown } | undefined;
    const ids = body?.noteIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 20 || !ids.every((id) => typeof id === 'string')) return httpDeny(reply, 'invalid');
    const format = body?.format === 'markdown' ? 'markdown' : 'json';
    // The flaw: every listed note that exists, whoever owns it.
    const notes = ids.flatMap((id: string) => {
      const note = store.notes.get(id);
      return note ? [noteView(note)] : [];
    });
    return reply.send({ format, notes });
  });
  return serve(app, identitiesFor(people, (m) => ({ cookies: { sid: m.token } }), false), () => secretsOf(people));
}
