import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Member, createClient } from './support/http.js';
import { type TestDatabase, createTestDatabase } from './support/databases.js';
import { type Answer, expectProblemAnswer } from './support/problems.js';
import { exchange, requestText } from './support/raw-http.js';

/**
 * Answers that come from below the routes (Node's HTTP parser, the router, Fastify's own checks)
 * are problem documents like any other. These are HTTP-level and the same on every dialect.
 */
describe('protocol errors', () => {
  let db: TestDatabase;
  let client: Client;
  let alice: Member;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    client = await createClient(db.data);
    alice = await client.member('alice');
    await client.app.listen({ host: '127.0.0.1', port: 0 });
    port = (client.app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await client?.app.close();
    await db?.dispose();
  });

  const send = (method: string, target: string, headers: Record<string, string> = {}, body = '') => exchange(port, requestText(method, target, headers, body));
  const injected = async (method: string, url: string, options: { token?: string; payload?: string; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const res = await client.app.inject({
      method: method as 'GET',
      url,
      ...(options.payload !== undefined ? { payload: options.payload } : {}),
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.headers ?? {}) },
    });
    return { status: res.statusCode, headers: res.headers as Answer['headers'], body: res.body };
  };

  describe('over a real socket', () => {
    it('answers a URL that does not decode with 400 invalid_url, without echoing it', async () => {
      for (const target of ['/api/v1/users/%E0%A4%A', '/api/v1/users/%zz', '/api/v1/%E0%A4%A/me']) {
        const answer = await send('GET', target, { authorization: `Bearer ${alice.token}` });
        expectProblemAnswer(answer, 400, 'invalid_url', target);
        expect(answer.body).not.toMatch(/%E0|%zz|users|api\/v1/);
      }
    });

    it('answers 414 uri_too_long for an over-long path segment or URL', async () => {
      for (const target of [`/api/v1/users/${'a'.repeat(300)}`, `/api/v1/me/blocks?cursor=${'A'.repeat(5_000)}`, `/api/v1/users?q=${'a'.repeat(20_000)}`]) {
        const answer = await send('GET', target, { authorization: `Bearer ${alice.token}` });
        expectProblemAnswer(answer, 414, 'uri_too_long', target.slice(0, 40));
        expect(answer.body).not.toMatch(/aaaa|AAAA/);
      }
    });

    it('answers 431 headers_too_large for headers over the parser limit', async () => {
      const answer = await send('GET', '/api/v1/me', { authorization: `Bearer ${alice.token}`, 'x-padding': 'p'.repeat(20_000) });
      expectProblemAnswer(answer, 431, 'headers_too_large');
      expect(answer.headers.connection).toBe('close');
    });

    it('answers what the parser cannot read, a missing Host and an unmet Expect with problem documents', async () => {
      expectProblemAnswer(await exchange(port, 'NOT HTTP AT ALL\r\n\r\n'), 400, 'malformed_request');
      expectProblemAnswer(await exchange(port, 'GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\nHost: x\r\n\r\n'), 400, 'malformed_request');
      expectProblemAnswer(await exchange(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'), 400, 'malformed_request');
      expectProblemAnswer(await send('POST', '/api/v1/auth/login', { expect: 'magic', 'content-type': 'application/json' }, '{}'), 417, 'expectation_failed');
      // HTTP/1.0 needs no Host.
      expect((await exchange(port, 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(200);
    });

    it('answers a GET whose body arrives late once, and closes the connection', async () => {
      const socket = net.connect(port, '127.0.0.1');
      const text = await new Promise<string>((resolve) => {
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.write(`GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${alice.token}\r\nTransfer-Encoding: chunked\r\n\r\n`);
        // The unread body, broken, and a request after it: neither may draw an answer.
        setTimeout(() => socket.writable && socket.write('zz\r\n{}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 200);
        setTimeout(() => socket.destroy(), 1_500);
      });
      expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 400']);
      expect(text).toMatch(/connection: close/i);
    });

    it('answers a method the router has never heard of with 405 and Allow', async () => {
      const answer = await send('PROPFIND', '/api/v1/me', { authorization: `Bearer ${alice.token}` });
      expectProblemAnswer(answer, 405, 'method_not_allowed');
      expect(answer.headers.allow).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
    });
  });

  it('answers requests that arrive while the server closes with a 503 problem document', async () => {
    const closing = await createClient(db.data);
    await closing.app.listen({ host: '127.0.0.1', port: 0 });
    const { port: closingPort } = closing.app.server.address() as AddressInfo;
    // A request half sent keeps its connection busy, so closing waits for it instead of cutting it.
    const socket = net.connect(closingPort, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = closing.app.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.write('\r\n');
    });
    await closed;
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1.1 503 /);
    expect(head).toMatch(/content-type: application\/problem\+json/i);
    expect(head).toMatch(/x-request-id: [0-9a-f-]{36}/i);
    expect(JSON.parse(body!)).toMatchObject({ status: 503, code: 'unavailable' });
  });

  describe('methods', () => {
    it('answers 405 with Allow (HEAD wherever GET) for a method the path does not support', async () => {
      const stranger = '00000000-0000-4000-8000-000000000000';
      const cases: [string, string, string][] = [
        ['PUT', '/api/v1/me', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
        ['POST', '/api/v1/me/workouts', 'GET, HEAD, OPTIONS'],
        ['DELETE', '/api/v1/auth/login', 'POST, OPTIONS'],
        ['GET', '/api/v1/auth/login', 'POST, OPTIONS'],
        ['PATCH', `/api/v1/users/${alice.id}/follow`, 'POST, DELETE, OPTIONS'],
        // The answer depends on the route alone, never on whether the object exists.
        ['PATCH', `/api/v1/users/${stranger}/follow`, 'POST, DELETE, OPTIONS'],
        ['TRACE', '/api/v1/classes', 'GET, HEAD, POST, OPTIONS'],
        ['PUT', '/healthz', 'GET, HEAD, OPTIONS'],
      ];
      for (const [method, url, allow] of cases) {
        const answer = await injected(method, url, { token: alice.token });
        expectProblemAnswer(answer, 405, 'method_not_allowed', `${method} ${url}`);
        expect(answer.headers.allow, `${method} ${url}`).toBe(allow);
        expect(answer.body).not.toContain(url);
      }
    });

    it('answers OPTIONS with 204 and Allow, and unknown paths with 404 whatever the method', async () => {
      const options = await injected('OPTIONS', '/api/v1/workouts/00000000-0000-4000-8000-000000000000');
      expect(options.status).toBe(204);
      expect(options.headers.allow).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
      expect(options.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      for (const method of ['GET', 'PUT', 'OPTIONS']) {
        for (const url of ['/api/v1/nothing-here', '/api/v1/me/', '/api/v1/users//follow']) {
          expectProblemAnswer(await injected(method, url, { token: alice.token }), 404, 'not_found', `${method} ${url}`);
        }
      }
    });

    it('refuses a body on GET and HEAD with 400 rather than ignoring it', async () => {
      for (const method of ['GET', 'HEAD']) {
        const answer = await injected(method, '/api/v1/me', { token: alice.token, payload: '{"role":"admin"}', headers: { 'content-type': 'application/json' } });
        expect(answer.status).toBe(400);
        if (method === 'GET') expectProblemAnswer(answer, 400, 'validation_failed');
      }
      expect((await injected('GET', '/api/v1/me', { token: alice.token })).status).toBe(200);
    });
  });
});
