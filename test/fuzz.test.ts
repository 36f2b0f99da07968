import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, describeEachDialect } from './support/databases.js';
import { type FuzzFixtures, createFuzzFixtures } from './support/fuzz-fixtures.js';
import { type HostileRequest, hostileRequests } from './support/hostile-requests.js';
import { type Client, createClient } from './support/http.js';
import { type OpenApiDocument, type Operation, methodsByPath, operationsOf } from './support/openapi-operations.js';
import { type Answer, problemDefects } from './support/problems.js';
import { exchange, requestText } from './support/raw-http.js';
import { type TableDigest, openTableDigest } from './support/table-digest.js';

/** Fuzz traffic comes from its own address, so its login failures throttle only that address. */
const fuzzAddress = '198.51.100.7';
const seed = 0x9ace;
const allowOrder = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

type Persona = 'anonymous' | 'member' | 'admin' | 'instructor';

/** Anonymous and a member for every operation; the role an operation is for, where it has one. */
function personasFor(operation: Operation): Persona[] {
  if (operation.access === 'admin') return ['anonymous', 'member', 'admin'];
  if (operation.path.startsWith('/api/v1/classes') && operation.method !== 'GET') return ['anonymous', 'member', 'instructor'];
  return ['anonymous', 'member'];
}

/**
 * Schema-driven fuzzing: every operation of the served OpenAPI document, as an anonymous caller
 * and as a signed-in member (and as an admin or instructor where the operation is theirs), receives hostile
 * variations of a valid request. No answer may be a 5xx; every error must be a clean problem
 * document; and a refused request must leave every table exactly as it was.
 */
describeEachDialect('schema-driven fuzz', (dialect) => {
  let db: TestDatabase;
  let client: Client;
  let fixtures: FuzzFixtures;
  let tables: TableDigest;
  let operations: Operation[];

  beforeAll(async () => {
    db = await createTestDatabase(dialect, { file: true });
    client = await createClient(db.data);
    fixtures = await createFuzzFixtures(client);
    tables = await openTableDigest(dialect, db.url);
    operations = operationsOf((await client.request('GET', '/openapi.json')).json() as OpenApiDocument);
  });

  afterAll(async () => {
    await tables?.close();
    await client?.app.close();
    await db?.dispose();
  });

  const tokenOf = (persona: Persona) => (persona === 'anonymous' ? null : fixtures[persona].token);

  async function send(request: HostileRequest, persona: Persona): Promise<Answer> {
    const token = tokenOf(persona);
    const res = await client.app.inject({
      method: request.method as 'GET',
      url: request.url,
      remoteAddress: fuzzAddress,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...request.headers },
      ...(request.payload !== undefined ? { payload: request.payload } : {}),
    });
    return { status: res.statusCode, headers: res.headers as Answer['headers'], body: res.body };
  }

  /** Which rows changed, for the failure message. */
  async function describeChange(before: Record<string, string[]>): Promise<string> {
    const after = await tables.snapshot();
    return Object.keys(after)
      .filter((table) => JSON.stringify(after[table]) !== JSON.stringify(before[table]))
      .map((table) => `${table}: ${after[table]!.filter((row) => !before[table]?.includes(row)).join(' ').slice(0, 300)}`)
      .join('; ');
  }

  it('answers hostile input to every operation with a clean 4xx and changes nothing', { timeout: 180_000 }, async () => {
    const started = performance.now();
    const failures: string[] = [];
    let sent = 0;
    let counter = 0;
    let baseline = await tables.snapshot();
    let baselineDigest = await tables.digest();

    for (const [index, operation] of operations.entries()) {
      for (const persona of personasFor(operation)) {
        const requests = hostileRequests(operation, { ids: fixtures.ids, cursor: fixtures.cursor, seed: seed + index * 1_000, next: () => ++counter });
        for (const request of requests) {
          const answer = await send(request, persona);
          sent++;
          const where = `${operation.id} as ${persona}, ${request.label}: ${answer.status}`;
          if (answer.status >= 500) failures.push(`${where} ${answer.body.slice(0, 200)}`);
          if (request.mustRefuse && answer.status < 400) failures.push(`${where}: accepted`);
          if (answer.headers['x-request-id'] === 'chosen-by-client' || !answer.headers['x-request-id']) failures.push(`${where}: request id`);
          if (answer.status >= 400) {
            for (const defect of problemDefects(answer)) failures.push(`${where}: ${defect}`);
            const digest = await tables.digest();
            if (digest !== baselineDigest) {
              failures.push(`${where}: refused, but changed ${await describeChange(baseline)}`);
              baseline = await tables.snapshot();
              baselineDigest = digest;
            }
          } else if (request.method !== 'GET') {
            // A success may have used up a fixture (a deleted workout, a revoked session).
            await fixtures.ensure();
            baseline = await tables.snapshot();
            baselineDigest = await tables.digest();
          }
        }
      }
    }

    // Methods a path does not support: 405 with the path's own Allow, for real and random ids.
    for (const [path, methods] of methodsByPath(operations)) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => fixtures.ids[name] ?? 'x');
      const allowed = new Set([...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS']);
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !methods.has(m))) {
        const answer = await send({ label: method, mustRefuse: true, method, url, headers: {} }, 'member');
        sent++;
        const where = `${method} ${path}: ${answer.status}`;
        if (answer.status !== 405) failures.push(`${where}, not 405`);
        if (answer.headers.allow !== allowOrder.filter((m) => allowed.has(m)).join(', ')) failures.push(`${where}: Allow ${answer.headers.allow}`);
        for (const defect of problemDefects(answer)) failures.push(`${where}: ${defect}`);
      }
    }

    // Over a real socket, where Node's parser sees the bytes first: oversized headers, broken
    // chunked framing, and paths the test client would have normalised.
    await client.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = client.app.server.address() as AddressInfo;
    for (const operation of operations) {
      const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => fixtures.ids[name] ?? 'x');
      const auth = { authorization: `Bearer ${fixtures.member.token}` };
      const raw: [string, string][] = [
        ['oversized header', requestText(operation.method, path, { ...auth, 'x-padding': 'p'.repeat(20_000) })],
        ['URL over 16 KiB', requestText(operation.method, `${path}?q=${'q'.repeat(17_000)}`, auth)],
        ['broken chunked body', `${requestText(operation.method, path, { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }).replace('Connection: close\r\n', '')}zz\r\n{}\r\n0\r\n\r\n`],
        ['dot segments', requestText(operation.method, path.replace(/\/[^/]+$/, '/%2e%2e/..%2f..'), auth)],
      ];
      for (const [label, text] of raw) {
        const answer = await exchange(port, text);
        sent++;
        const where = `${operation.id} over a socket, ${label}: ${answer.status}`;
        if (answer.status < 400) failures.push(`${where}: accepted`);
        if (answer.status >= 500) failures.push(where);
        for (const defect of problemDefects(answer)) failures.push(`${where}: ${defect}`);
        if ((await tables.digest()) !== baselineDigest) failures.push(`${where}: refused, but changed ${await describeChange(baseline)}`);
      }
    }

    console.info(`schema-driven fuzz [${dialect}]: ${sent} requests over ${operations.length} operations in ${Math.round(performance.now() - started)} ms`);
    expect(failures.slice(0, 40), `${failures.length} failures`).toEqual([]);
  });
});
