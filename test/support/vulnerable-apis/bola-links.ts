/**
 * Flaws: GET /orders/{orderNumber}, GET /receipts/{receiptKey} and GET /things/{ref} serve any
 * member's order, receipt and thing. No parameter is named like the property that feeds it: an
 * order's `number` feeds `{orderNumber}` (the object's kind and the property together), its `ref`
 * feeds `{receiptKey}` only through the OpenAPI link the spec declares, and the items of GET
 * /me/stuff feed `{ref}` only by having the shape GET /things/{ref} answers. GET /docs/{docKey} too:
 * its keys appear only inside hypermedia links (`_links.self.href`, an absolute URL) of GET
 * /me/documents. Static bearer tokens.
 */
import { randomBytes } from 'node:crypto';
import { type VulnerableApi, canaries, newApp, openapi, schemes, serve } from './common.js';

interface Order {
  number: string;
  ref: string;
  owner: 'alice' | 'bob';
  shipTo: string;
}

export async function startBolaLinksApi(): Promise<VulnerableApi> {
  const tokens = { alice: `tok-alice-${randomBytes(8).toString('hex')}`, bob: `tok-bob-${randomBytes(8).toString('hex')}` };
  const orders: Order[] = [
    { number: 'A-1001', ref: `r${randomBytes(4).toString('hex')}`, owner: 'alice', shipTo: `1 Main St ${canaries.alice}` },
    { number: 'B-2001', ref: `r${randomBytes(4).toString('hex')}`, owner: 'bob', shipTo: `2 High St ${canaries.bob}` },
  ];
  const things = [
    { id: `t${randomBytes(4).toString('hex')}`, owner: 'alice' as const, title: 'Gear list', notes: `Spare tubes ${canaries.alice}` },
    { id: `t${randomBytes(4).toString('hex')}`, owner: 'bob' as const, title: 'Routes', notes: `Hill loop ${canaries.bob}` },
  ];
  const docs = [
    { key: `d${randomBytes(4).toString('hex')}`, owner: 'alice' as const, text: `Insurance ${canaries.alice}` },
    { key: `d${randomBytes(4).toString('hex')}`, owner: 'bob' as const, text: `Lease ${canaries.bob}` },
  ];
  const thing = { type: 'object', properties: { id: { type: 'string' }, title: { type: 'string' }, notes: { type: 'string' } } };
  const doc = openapi('Orders (BOLA via links, names and shapes)', '3.0.3', schemes.bearer, {
    '/me/documents': { get: { operationId: 'myDocuments', responses: { 200: { description: "the caller's documents, as links" } } } },
    '/docs/{docKey}': {
      get: { operationId: 'getDoc', parameters: [{ name: 'docKey', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'a document' } } },
    },
    '/me/stuff': { get: { operationId: 'myStuff', responses: { 200: { description: "the caller's things" } } } },
    '/things/{ref}': {
      get: {
        operationId: 'getThing',
        parameters: [{ name: 'ref', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'a thing', content: { 'application/json': { schema: thing } } } },
      },
    },
    '/me/orders': {
      get: {
        operationId: 'myOrders',
        responses: {
          200: {
            description: "the caller's orders",
            links: { firstReceipt: { operationId: 'getReceipt', parameters: { receiptKey: '$response.body#/orders/0/ref' } } },
          },
        },
      },
    },
    '/orders/{orderNumber}': {
      get: { operationId: 'getOrder', parameters: [{ name: 'orderNumber', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'an order' } } },
    },
    '/receipts/{receiptKey}': {
      get: { operationId: 'getReceipt', parameters: [{ name: 'receiptKey', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'a receipt' } } },
    },
  });
  const app = newApp(doc);
  const caller = (authorization: string | undefined) => (Object.entries(tokens).find(([, t]) => `Bearer ${t}` === authorization)?.[0] as Order['owner'] | undefined);
  app.get('/me/orders', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    return { orders: orders.filter((o) => o.owner === me).map(({ number, ref, shipTo }) => ({ number, ref, shipTo })) };
  });
  // The flaws: both reads find the object by its key alone, whoever asks.
  app.get('/orders/:orderNumber', async (req, reply) => {
    if (!caller(req.headers.authorization)) return reply.code(401).send({ error: 'unauthorized' });
    const order = orders.find((o) => o.number === (req.params as { orderNumber: string }).orderNumber);
    return order ? { number: order.number, shipTo: order.shipTo } : reply.code(404).send({ error: 'not found' });
  });
  app.get('/me/documents', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    const base = `http://${req.headers.host ?? '127.0.0.1'}`;
    return { _embedded: { documents: docs.filter((d) => d.owner === me).map((d) => ({ _links: { self: { href: `${base}/docs/${d.key}` } } })) } };
  });
  app.get('/docs/:docKey', async (req, reply) => {
    if (!caller(req.headers.authorization)) return reply.code(401).send({ error: 'unauthorized' });
    const doc = docs.find((d) => d.key === (req.params as { docKey: string }).docKey);
    return doc ? { text: doc.text } : reply.code(404).send({ error: 'not found' });
  });
  app.get('/me/stuff', async (req, reply) => {
    const me = caller(req.headers.authorization);
    if (!me) return reply.code(401).send({ error: 'unauthorized' });
    return { entries: things.filter((t) => t.owner === me).map(({ id, title, notes }) => ({ id, title, notes })) };
  });
  app.get('/things/:ref', async (req, reply) => {
    if (!caller(req.headers.authorization)) return reply.code(401).send({ error: 'unauthorized' });
    const found = things.find((t) => t.id === (req.params as { ref: string }).ref);
    return found ? { id: found.id, title: found.title, notes: found.notes } : reply.code(404).send({ error: 'not found' });
  });
  app.get('/receipts/:receiptKey', async (req, reply) => {
    if (!caller(req.headers.authorization)) return reply.code(401).send({ error: 'unauthorized' });
    const order = orders.find((o) => o.ref === (req.params as { receiptKey: string }).receiptKey);
    return order ? { receipt: order.ref, paidBy: order.shipTo } : reply.code(404).send({ error: 'not found' });
  });
  const identities = {
    version: 1,
    identities: {
      alice: { headers: { Authorization: `Bearer ${tokens.alice}` }, canaries: [canaries.alice] },
      bob: { headers: { Authorization: `Bearer ${tokens.bob}` }, canaries: [canaries.bob] },
    },
    publicFields: [],
  };
  return serve(app, identities, () => Object.values(tokens));
}
