/**
 * Flaw: GET /invoices?invoiceId=N returns any member's invoice. Integer ids in a query parameter,
 * a static `X-Api-Key` per member, and the member's own invoices at GET /me/invoices.
 */
import { randomBytes } from 'node:crypto';
import { type VulnerableApi, canaries, newApp, openapi, schemes, serve } from './common.js';

interface Invoice {
  id: number;
  owner: 'alice' | 'bob';
  amount: number;
  billingAddress: string;
}

export async function startBolaQueryApi(): Promise<VulnerableApi> {
  const keys = { alice: `key-alice-${randomBytes(8).toString('hex')}`, bob: `key-bob-${randomBytes(8).toString('hex')}` };
  const invoices: Invoice[] = [
    { id: 1, owner: 'alice', amount: 120, billingAddress: `1 Main St ${canaries.alice}` },
    { id: 2, owner: 'bob', amount: 80, billingAddress: `2 High St ${canaries.bob}` },
    { id: 3, owner: 'alice', amount: 45, billingAddress: `1 Main St ${canaries.alice}` },
  ];
  const doc = openapi('Invoices (BOLA by query)', '3.1.0', schemes.apiKey('X-Api-Key'), {
    '/me/invoices': { get: { operationId: 'myInvoices', responses: { 200: { description: 'the caller\'s invoices' } } } },
    '/invoices': {
      get: {
        operationId: 'getInvoice',
        parameters: [{ name: 'invoiceId', in: 'query', required: true, schema: { type: 'integer' } }],
        responses: { 200: { description: 'one invoice' }, 404: { description: 'no such invoice' } },
      },
    },
  });
  const app = newApp(doc);
  const caller = (key: unknown) => (Object.entries(keys).find(([, k]) => k === key)?.[0] as Invoice['owner'] | undefined);
  app.get('/me/invoices', async (req, reply) => {
    const me = caller(req.headers['x-api-key']);
    if (!me) return reply.code(401).send({ error: 'api key required' });
    return { invoices: invoices.filter((i) => i.owner === me) };
  });
  app.get('/invoices', async (req, reply) => {
    if (!caller(req.headers['x-api-key'])) return reply.code(401).send({ error: 'api key required' });
    // The flaw: the invoice is found by id alone, whoever asks.
    const invoice = invoices.find((i) => String(i.id) === (req.query as { invoiceId?: string }).invoiceId);
    return invoice ?? reply.code(404).send({ error: 'not found' });
  });
  const identities = {
    version: 1,
    identities: {
      alice: { headers: { 'X-Api-Key': keys.alice }, canaries: [canaries.alice] },
      bob: { headers: { 'X-Api-Key': keys.bob }, canaries: [canaries.bob] },
    },
    publicFields: ['id'],
  };
  return serve(app, identities, () => Object.values(keys));
}
