import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditInputError } from '../src/audit/audit-error.js';
import { type ApiSpec, type Operation, loadSpec, matchesPattern } from '../src/audit/spec.js';
import { openDataLayer } from '../src/data/data-layer.js';
import { buildApp } from '../src/http/app.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'audit');
const fixture = (name: string) => path.join(fixtures, name);

function operation(spec: ApiSpec, method: string, template: string): Operation {
  const found = spec.operations.find((op) => op.method === method && op.path === template);
  if (!found) throw new Error(`no ${method} ${template}`);
  return found;
}

async function expectInputError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuditInputError);
  const message = (error as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
}

describe('loadSpec: OpenAPI 3.1 JSON with internal refs', () => {
  let spec: ApiSpec;
  beforeAll(async () => {
    spec = await loadSpec(fixture('petstore-31.json'));
  });

  it('reads the header and every operation, servers ignored', () => {
    expect(spec).toMatchObject({ title: 'Pets', version: '2.1.0', openapi: '3.1.0' });
    expect(spec.operations.map((op) => `${op.method} ${op.path}`)).toEqual([
      'GET /pets',
      'POST /pets',
      'GET /pets/{petId}',
      'DELETE /pets/{petId}',
      'PATCH /pets/{petId}',
      'GET /categories/{id}',
    ]);
    expect(JSON.stringify(spec.operations.map((op) => Object.keys(op)))).not.toContain('server');
  });

  it('resolves parameter, request body and response refs', () => {
    const list = operation(spec, 'GET', '/pets');
    expect(list).toMatchObject({ operationId: 'listPets', tags: ['pets'], summary: 'List pets' });
    expect(list.parameters).toEqual([{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', maximum: 100 } }]);
    const items = list.responses['200']?.schema?.items as { properties: { owner: { properties: Record<string, unknown> } } };
    expect(Object.keys(items.properties.owner.properties)).toEqual(['id', 'email']);
    const create = operation(spec, 'POST', '/pets');
    expect(create.requestBody).toMatchObject({ contentType: 'application/json', required: true, schema: { required: ['id', 'name'] } });
    expect(create.responses['201']?.contentType).toBe('application/json');
    expect(JSON.stringify(create)).not.toContain('$ref');
  });

  it('merges path-level parameters, the operation overriding by name and location', () => {
    const get = operation(spec, 'GET', '/pets/{petId}');
    expect(get.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ['petId', 'path', true],
      ['X-Trace', 'header', false],
      ['verbose', 'query', true],
    ]);
    expect(get.parameters.find((p) => p.name === 'verbose')?.schema).toEqual({ type: 'string', enum: ['yes', 'no'] });
    const del = operation(spec, 'DELETE', '/pets/{petId}');
    expect(del.parameters.find((p) => p.name === 'verbose')?.schema).toEqual({ type: 'boolean' });
    // A path parameter is required even when the document forgets to say so.
    expect(operation(spec, 'GET', '/categories/{id}').parameters[0]?.required).toBe(true);
  });

  it('inherits global security unless the operation sets its own; [] and [{}] require none', () => {
    expect(operation(spec, 'GET', '/pets/{petId}').security).toEqual([{ bearer: [] }]);
    expect(operation(spec, 'POST', '/pets').security).toEqual([{ bearer: [] }]);
    expect(operation(spec, 'GET', '/pets').security).toEqual([]);
    expect(operation(spec, 'DELETE', '/pets/{petId}').security).toEqual([]);
    expect(operation(spec, 'PATCH', '/pets/{petId}').security).toEqual([{ oauth: ['pets:write'] }]);
  });

  it('keeps x- extensions and generates missing operationIds', () => {
    expect(operation(spec, 'POST', '/pets').extensions).toEqual({ 'x-paceline-access': 'member', 'x-paceline-scopes': ['pets:write'] });
    expect(operation(spec, 'GET', '/pets').extensions).toEqual({});
    expect(operation(spec, 'DELETE', '/pets/{petId}').operationId).toBe('DELETE /pets/{petId}');
  });

  it('takes +json media types as JSON request bodies', () => {
    expect(operation(spec, 'PATCH', '/pets/{petId}').requestBody?.contentType).toBe('application/merge-patch+json');
  });

  it('keeps a circular schema as a shared object and freezes the model', () => {
    const category = operation(spec, 'GET', '/categories/{id}').responses['200']?.schema as { properties: { parent: unknown } };
    expect(category.properties.parent).toBe(category);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.operations[0]?.parameters[0])).toBe(true);
    expect(Object.isFrozen(category)).toBe(true);
  });
});

describe('loadSpec: OpenAPI 3.0 YAML with a relative-file $ref', () => {
  it('resolves refs into another file, including a cycle there', async () => {
    const spec = await loadSpec(fixture('shop-30.yaml'));
    expect(spec).toMatchObject({ title: 'Shop', version: '1.0', openapi: '3.0.3' });
    const get = operation(spec, 'GET', '/orders/{orderId}');
    expect(get.parameters).toEqual([{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }]);
    const order = get.responses['200']?.schema as { properties: { lines: { items: { properties: { order: unknown } } } } };
    expect(order.properties.lines.items.properties.order).toBe(order);
  });

  it('has no JSON request body for a text body, and reports a non-JSON response type', async () => {
    const put = operation(await loadSpec(fixture('shop-30.yaml')), 'PUT', '/orders/{orderId}');
    expect(put.requestBody).toBeUndefined();
    expect(put.responses['200']).toEqual({ contentType: 'text/csv' });
    expect(put.security).toEqual([]);
  });
});

describe('loadSpec: errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audit-spec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses Swagger 2.0', async () => {
    await expectInputError(loadSpec(fixture('swagger-2.yaml')), /swagger-2\.yaml: Swagger 2\.0 is not supported/);
  });

  it('refuses junk and non-objects', async () => {
    await expectInputError(loadSpec(fixture('junk.txt')), /junk\.txt: neither JSON nor YAML/);
    const scalar = path.join(dir, 'scalar.yaml');
    await writeFile(scalar, 'just words\n');
    await expectInputError(loadSpec(scalar), /not an OpenAPI document/);
    const noVersion = path.join(dir, 'no-version.json');
    await writeFile(noVersion, '{"info": {}}');
    await expectInputError(loadSpec(noVersion), /no "openapi" field at #\/openapi/);
  });

  it('refuses other OpenAPI versions', async () => {
    const file = path.join(dir, 'v4.json');
    await writeFile(file, JSON.stringify({ openapi: '4.0.0', info: {}, paths: {} }));
    await expectInputError(loadSpec(file), /#\/openapi is "4\.0\.0"; only OpenAPI 3\.0\.x and 3\.1\.x/);
  });

  it('reports a missing file and a dangling $ref', async () => {
    await expectInputError(loadSpec(path.join(dir, 'absent.yaml')), /absent\.yaml: no such file/);
    const file = path.join(dir, 'dangling.json');
    await writeFile(file, JSON.stringify({ openapi: '3.0.0', info: {}, paths: { '/a': { get: { responses: { 200: { $ref: '#/components/responses/Nope' } } } } } }));
    await expectInputError(loadSpec(file), /dangling\.json: cannot resolve \$ref: .*Nope/);
  });

  it('names the pointer of a malformed parameter', async () => {
    const file = path.join(dir, 'bad-param.json');
    await writeFile(file, JSON.stringify({ openapi: '3.1.0', info: {}, paths: { '/a/{x}': { get: { parameters: [{ name: 'x', in: 'body' }] } } } }));
    await expectInputError(loadSpec(file), /#\/paths\/~1a~1\{x\}\/get\/parameters\/0\/in is "body"/);
  });
});

describe('loadSpec: URLs', () => {
  let server: Server;
  let base: string;
  const requested: string[] = [];
  const files: Record<string, string> = {
    '/specs/shop.yaml': '',
    '/specs/shared/components.yaml': '',
    '/specs/pets': '',
    // A remote document must not make the auditor read local files.
    '/specs/local-ref.json': JSON.stringify({
      openapi: '3.0.0',
      info: {},
      paths: { '/a': { get: { responses: { 200: { $ref: `file://${fixture('shared/components.yaml')}#/schemas/Order` } } } } },
    }),
  };

  beforeAll(async () => {
    files['/specs/shop.yaml'] = await readFile(fixture('shop-30.yaml'), 'utf8');
    files['/specs/shared/components.yaml'] = await readFile(fixture('shared/components.yaml'), 'utf8');
    // No extension and served as text/plain: the format is decided by content.
    files['/specs/pets'] = await readFile(fixture('petstore-31.json'), 'utf8');
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      const body = files[req.url ?? ''];
      if (req.url === '/slow') return; // never answers
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('loads a spec and resolves its relative refs against the URL', async () => {
    const spec = await loadSpec(`${base}/specs/shop.yaml`);
    expect(operation(spec, 'GET', '/orders/{orderId}').parameters[0]?.name).toBe('orderId');
    expect(requested).toContain('/specs/shared/components.yaml');
  });

  it('decides JSON by content, not by extension', async () => {
    const spec = await loadSpec(`${base}/specs/pets`);
    expect(spec.operations).toHaveLength(6);
  });

  it('uses the given fetch', async () => {
    const seen: string[] = [];
    const tracing: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    await loadSpec(`${base}/specs/shop.yaml`, { fetch: tracing });
    expect(seen).toEqual([`${base}/specs/shop.yaml`, `${base}/specs/shared/components.yaml`]);
  });

  it('refuses file refs inside a remote document', async () => {
    await expectInputError(loadSpec(`${base}/specs/local-ref.json`), /local-ref\.json: cannot resolve \$ref/);
  });

  it('reports HTTP errors and timeouts', async () => {
    await expectInputError(loadSpec(`${base}/missing.json`), /cannot fetch: HTTP 404/);
    await expectInputError(loadSpec(`${base}/slow`, { timeoutMs: 200 }), /cannot fetch: no answer within 200 ms/);
  });
});

describe('loadSpec: what specs often leave out', () => {
  it('adds undeclared path placeholders as path parameters, and reads links', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'audit-spec-'));
    try {
      const file = path.join(dir, 'spec.json');
      await writeFile(
        file,
        JSON.stringify({
          openapi: '3.0.3',
          info: { title: 'sparse', version: '1' },
          paths: {
            '/teams/{teamId}/members/{memberId}': {
              parameters: [{ name: 'teamId', in: 'path', required: true, schema: { type: 'integer' } }],
              get: { responses: { 200: { description: 'a member', links: { team: { operationId: 'getTeam', parameters: { teamId: '$response.body#/teamId' } }, odd: { operationRef: '#/x' } } } } },
            },
          },
        }),
      );
      const spec = await loadSpec(file);
      const op = operation(spec, 'GET', '/teams/{teamId}/members/{memberId}');
      expect(op.parameters.map((p) => [p.name, p.in, p.required, p.schema?.type])).toEqual([
        ['teamId', 'path', true, 'integer'],
        ['memberId', 'path', true, undefined],
      ]);
      expect(op.responses['200']?.links).toEqual([{ operationId: 'getTeam', parameters: { teamId: '$response.body#/teamId' } }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('matchesPattern', () => {
  const op = { method: 'GET', path: '/users/{userId}/workouts', operationId: 'listUserWorkouts' };

  it('matches METHOD /path/template, the method case-insensitively', () => {
    expect(matchesPattern(op, 'GET /users/{userId}/workouts')).toBe(true);
    expect(matchesPattern(op, 'get /users/{userId}/workouts')).toBe(true);
    expect(matchesPattern(op, 'POST /users/{userId}/workouts')).toBe(false);
    expect(matchesPattern(op, 'GET /users/{userId}')).toBe(false);
  });

  it('supports * in the method, the path and the operationId', () => {
    expect(matchesPattern(op, '* /users/*')).toBe(true);
    expect(matchesPattern(op, 'GET /users/*/workouts')).toBe(true);
    expect(matchesPattern(op, 'GET /classes/*')).toBe(false);
    expect(matchesPattern(op, 'list*')).toBe(true);
    expect(matchesPattern(op, '*Workouts')).toBe(true);
    expect(matchesPattern(op, 'get*')).toBe(false);
    expect(matchesPattern(op, '*')).toBe(true);
  });

  it('matches an operationId exactly and treats regex characters literally', () => {
    expect(matchesPattern(op, 'listUserWorkouts')).toBe(true);
    expect(matchesPattern(op, 'listUserWorkout')).toBe(false);
    expect(matchesPattern(op, 'list.serWorkouts')).toBe(false);
    expect(matchesPattern({ method: 'DELETE', path: '/a', operationId: 'DELETE /a' }, 'delete /a')).toBe(true);
  });

  it('matches a bare path for every method', () => {
    expect(matchesPattern(op, '/users/*')).toBe(true);
    expect(matchesPattern(op, '/classes')).toBe(false);
  });
});

describe("loadSpec: Paceline's own document", () => {
  it('loads, and every operation has method, path, operationId and x-paceline-access', async () => {
    const data = openDataLayer('sqlite::memory:');
    await data.migrate();
    const app = await buildApp({ data });
    const dir = await mkdtemp(path.join(tmpdir(), 'audit-paceline-'));
    try {
      const response = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(response.statusCode).toBe(200);
      const file = path.join(dir, 'openapi.json');
      await writeFile(file, response.body);
      const spec = await loadSpec(file);
      expect(spec.openapi).toMatch(/^3\.[01]\./);
      expect(spec.operations.length).toBeGreaterThan(10);
      for (const op of spec.operations) {
        expect(op.method).toMatch(/^[A-Z]+$/);
        expect(op.path).toMatch(/^\//);
        expect(op.operationId).not.toBe(`${op.method} ${op.path}`);
        expect(typeof op.extensions['x-paceline-access'], op.operationId).toBe('string');
      }
      const login = spec.operations.find((op) => op.method === 'POST' && op.path === '/api/v1/auth/login');
      expect(login?.security).toEqual([]);
      expect(login?.requestBody?.contentType).toBe('application/json');
    } finally {
      await rm(dir, { recursive: true, force: true });
      await app.close();
      await data.close();
    }
  });
});
