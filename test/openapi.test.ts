import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient } from './support/http.js';
import { type TestDatabase, createTestDatabase } from './support/databases.js';

type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  'x-paceline-access'?: string;
  'x-paceline-scopes'?: string[];
  'x-paceline-session-only'?: boolean;
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: Record<string, unknown> }> }>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, Record<string, unknown>> };
};

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** What API.md lets anonymous callers use (/openapi.json and /docs are served but not documented). */
const anonymousAllowed = new Set([
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'GET /api/v1/classes',
  'GET /api/v1/classes/{classId}',
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /.well-known/security.txt',
]);
/** Of those, the ones that are operations of the API and so must be in the document. */
const mustBeDocumentedPublic = ['POST /api/v1/auth/register', 'POST /api/v1/auth/login', 'GET /healthz', 'GET /readyz', 'GET /.well-known/security.txt'];

/** Scopes named by API.md for the operations that exist; a drift here is a drift from the contract. */
const expectedScopes: Record<string, string[]> = {
  getMe: ['profile:read'],
  getUser: ['profile:read'],
  getUserByUsername: ['profile:read'],
  searchUsers: ['profile:read'],
  listFollowers: ['profile:read'],
  listFollowing: ['profile:read'],
  listFollowRequests: ['profile:read'],
  getSecurityActivity: ['profile:read'],
  updateMe: ['profile:write'],
  followUser: ['social:write'],
  unfollowUser: ['social:write'],
  approveFollowRequest: ['social:write'],
  denyFollowRequest: ['social:write'],
  removeFollower: ['social:write'],
  blockUser: ['social:write'],
  unblockUser: ['social:write'],
};
/** API.md: managing sessions and tokens, the password, deletion and export need a login session. */
const sessionOnly = ['listSessions', 'revokeSession', 'createToken', 'listTokens', 'revokeToken', 'changePassword', 'deleteMe', 'exportMe'];

/** A schema is a problem document when it is (or points at) an object with the RFC 9457 members Paceline always sends. */
function isProblemSchema(doc: Document, schema: Record<string, unknown> | undefined): boolean {
  if (!schema) return false;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    return isProblemSchema(doc, doc.components?.schemas?.[name]);
  }
  const required = (schema.required ?? []) as string[];
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return ['type', 'title', 'status', 'code'].every((key) => required.includes(key)) && 'detail' in properties;
}

describe('OpenAPI document and docs', () => {
  let db: TestDatabase;
  let client: Client;
  let doc: Document;
  let operations: { key: string; method: string; path: string; op: Operation }[];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    client = await createClient(db.data);
    const res = await client.request('GET', '/openapi.json');
    expect(res.statusCode).toBe(200);
    doc = res.json() as Document;
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => methods.includes(method))
        .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })),
    );
  });

  afterAll(async () => {
    await client?.app.close();
    await db?.dispose();
  });

  it('is OpenAPI 3.1 with a bearer scheme and operations', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(operations.length).toBeGreaterThan(20);
  });

  it('gives every operation a unique operationId', () => {
    const missing = operations.filter(({ op }) => typeof op.operationId !== 'string' || op.operationId.length === 0).map(({ key }) => key);
    expect(missing).toEqual([]);
    const ids = operations.map(({ op }) => op.operationId);
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    expect(duplicates).toEqual([]);
  });

  it('gives every operation a security array and an access level', () => {
    for (const { key, op } of operations) {
      expect(Array.isArray(op.security), key).toBe(true);
      expect(op.security!.length, key).toBeGreaterThan(0);
      expect(['public', 'user', 'admin'], key).toContain(op['x-paceline-access']);
      for (const requirement of op.security!) {
        for (const scheme of Object.keys(requirement)) expect(doc.components?.securitySchemes, key).toHaveProperty(scheme);
      }
      if (op['x-paceline-access'] === 'public') expect(op.security, key).toEqual([{}]);
      else expect(op.security, `${key}: a protected operation must not allow anonymous`).not.toContainEqual({});
    }
  });

  it('lists the scopes of every user operation in its security requirement', () => {
    for (const { key, op } of operations.filter(({ op }) => op['x-paceline-access'] === 'user')) {
      const scopes = op['x-paceline-scopes'];
      expect(op.security, key).toEqual([{ bearerAuth: scopes }]);
      // A user operation with no scope is only acceptable when it needs a login session (or is logout).
      if (scopes!.length === 0) expect(op['x-paceline-session-only'] === true || op.operationId === 'logout', key).toBe(true);
      const expected = expectedScopes[op.operationId ?? ''];
      if (expected) expect([...scopes!].sort(), key).toEqual(expected);
    }
    for (const id of sessionOnly) {
      const found = operations.find(({ op }) => op.operationId === id);
      expect(found, id).toBeDefined();
      expect(found!.op['x-paceline-session-only'], id).toBe(true);
    }
    for (const { key, op } of operations.filter(({ op }) => op['x-paceline-access'] === 'admin')) {
      expect(op.security, key).toEqual([{ bearerAuth: [] }]);
    }
  });

  it('marks public exactly the documented operations API.md opens to anonymous callers', () => {
    const documented = new Set(operations.map(({ key }) => key));
    for (const key of mustBeDocumentedPublic) expect(documented.has(key), key).toBe(true);
    const publicOps = operations.filter(({ op }) => op['x-paceline-access'] === 'public').map(({ key }) => key).sort();
    const expected = [...anonymousAllowed].filter((key) => !['GET /openapi.json', 'GET /docs'].includes(key)).sort();
    expect(publicOps).toEqual(expected);
  });

  it('enforces for anonymous callers the access level it documents', async () => {
    const placeholder = '00000000-0000-4000-8000-000000000000';
    const mismatches: string[] = [];
    for (const { key, method, path, op } of operations) {
      const url = path.replace(/\{username\}/g, 'nobody').replace(/\{[^}]+\}/g, placeholder);
      const res = await client.request(method.toUpperCase(), url, method === 'get' || method === 'delete' ? {} : { body: {} });
      const isPublic = op['x-paceline-access'] === 'public';
      if (isPublic === (res.statusCode === 401)) mismatches.push(`${key} (${op['x-paceline-access']}) answered ${res.statusCode}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('documents a problem schema for every 4xx response', () => {
    const bad: string[] = [];
    for (const { key, op } of operations) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!/^4\d\d$|^4XX$/.test(status)) continue;
        const media = Object.values(response.content ?? {});
        if (media.length === 0 || !media.every((entry) => isProblemSchema(doc, entry.schema))) bad.push(`${key} ${status}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('documents 4xx responses as application/problem+json, the media type the server sends', async () => {
    // A generated client trusts the documented media type; the server sends problem+json for every error.
    const sent = await client.request('GET', '/api/v1/me');
    expect(sent.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrong: string[] = [];
    for (const { key, op } of operations) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!status.startsWith('4')) continue;
        const types = Object.keys(response.content ?? {});
        if (!types.includes('application/problem+json')) wrong.push(`${key} ${status}: ${types.join(',')}`);
      }
    }
    expect(wrong.length, wrong.slice(0, 5).join('\n')).toBe(0);
  });

  it('serves /docs as HTML whose assets come from this server and answer 200', async () => {
    const page = await client.request('GET', '/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(page.body).not.toMatch(/https?:\/\//i);

    const base = 'http://paceline.invalid/docs';
    const assets = [...page.body.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const resolved = new URL(asset, base);
      expect(resolved.origin, asset).toBe(new URL(base).origin);
      const res = await client.request('GET', resolved.pathname + resolved.search);
      expect(res.statusCode, `${asset} -> ${resolved.pathname}`).toBe(200);
    }

    // The UI fetches the spec from this server too, and never calls an outside validator.
    const initializer = assets.find((asset) => asset.endsWith('swagger-initializer.js'));
    expect(initializer).toBeDefined();
    const script = (await client.request('GET', new URL(initializer!, base).pathname)).body;
    expect(script).toMatch(/validatorUrl:\s*null/);
    expect(script).not.toMatch(/url:\s*["']https?:/);
    const spec = await client.request('GET', '/docs/json');
    expect(spec.statusCode).toBe(200);
    expect(spec.json()).toEqual(doc);
  });
});
