import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { type TestDatabase, createTestDatabase } from './support/databases.js';

/**
 * The docs page must render over plain HTTP on any address, not only on localhost (which browsers
 * exempt from `upgrade-insecure-requests`), and keep the upgrade under TLS.
 */
describe('the Content-Security-Policy of /docs', () => {
  let db: TestDatabase;
  let direct: App;
  let proxied: App;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    direct = await buildApp({ data: db.data });
    proxied = await buildApp({ data: db.data, trustProxy: true });
  });

  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
    await db?.dispose();
  });

  const policyOf = async (app: App, url: string, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'GET', url, headers: { host: '127.0.0.2:3000', ...headers } });
    expect(res.statusCode, url).toBe(200);
    return String(res.headers['content-security-policy'] ?? '');
  };

  it('has no upgrade-insecure-requests over plain HTTP, on the page and its assets, and stays strict', async () => {
    for (const url of ['/docs', '/docs/static/swagger-ui.css', '/docs/static/swagger-initializer.js']) {
      const policy = await policyOf(direct, url);
      expect(policy, url).not.toContain('upgrade-insecure-requests');
      for (const directive of ["default-src 'self'", "object-src 'none'", "script-src 'self'", "script-src-attr 'none'", "frame-ancestors 'self'", "base-uri 'self'"]) {
        expect(policy, url).toContain(directive);
      }
    }
  });

  it('keeps upgrade-insecure-requests when the request came over HTTPS through a trusted proxy', async () => {
    expect(await policyOf(proxied, '/docs', { 'x-forwarded-proto': 'https' })).toContain('upgrade-insecure-requests');
    expect(await policyOf(proxied, '/docs', { 'x-forwarded-proto': 'http' })).not.toContain('upgrade-insecure-requests');
    // Without trustProxy the header is anyone's to send, and is ignored.
    expect(await policyOf(direct, '/docs', { 'x-forwarded-proto': 'https' })).not.toContain('upgrade-insecure-requests');
  });
});
