import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteAccess, publicAccess, userAccess } from '../src/authz/access.js';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { type TestDatabase, createTestDatabase } from './support/databases.js';

/**
 * Registers routes on a fresh app and starts it; resolves to the error that stopped the boot, or
 * null. Fastify may throw at registration or reject at ready(), and either counts as refusing.
 */
async function bootError(db: TestDatabase, register: (app: App) => void | Promise<void>): Promise<Error | null> {
  const app = await buildApp({ data: db.data });
  try {
    await register(app);
    await app.ready();
    return null;
  } catch (error) {
    return error as Error;
  } finally {
    await app.close().catch(() => {});
  }
}

describe('the app refuses to boot with an undeclared route', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });

  afterAll(async () => {
    await db?.dispose();
  });

  it('fails for a route on the root instance, naming the route', async () => {
    const error = await bootError(db, (app) => {
      app.get('/api/v1/unguarded', async () => ({}));
    });
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('GET /api/v1/unguarded');
  });

  it('fails for a route with a config but no access', async () => {
    const error = await bootError(db, (app) => {
      app.route({ method: ['GET', 'POST'], url: '/api/v1/configured', config: {}, handler: async () => ({}) });
    });
    expect(error?.message).toMatch(/GET,POST \/api\/v1\/configured|GET \/api\/v1\/configured/);
  });

  it('fails for a route inside a plugin, naming its full path', async () => {
    const error = await bootError(db, (app) => {
      app.register(async (plugin) => {
        plugin.get('/api/v1/plugin-unguarded', async () => ({}));
      });
    });
    expect(error?.message).toContain('GET /api/v1/plugin-unguarded');

    const prefixed = await bootError(db, (app) => {
      app.register(
        async (plugin) => {
          // Nested one level further: the hook is inherited by every encapsulated context.
          await plugin.register(async (inner) => {
            inner.post('/deep', async () => ({}));
          });
        },
        { prefix: '/api/v1/nested' },
      );
    });
    expect(prefixed?.message).toContain('POST /api/v1/nested/deep');
  });

  it('does not let the docs plugin scope declaration leak to other plugins', async () => {
    // The docs routes are public by a scope declaration; a sibling plugin must not inherit it.
    const error = await bootError(db, (app) => {
      app.register(async (plugin) => {
        plugin.get('/docs-sibling', async () => ({}));
      });
    });
    expect(error?.message).toContain('GET /docs-sibling');
  });

  it('boots with declared routes, and the declaration drives access', async () => {
    const app = await buildApp({ data: db.data });
    try {
      app.get('/api/v1/guarded-public', { config: { access: publicAccess } }, async () => ({ ok: true }));
      app.register(async (plugin) => {
        plugin.get('/api/v1/guarded-user', { config: { access: userAccess(['profile:read']) } }, async () => ({ ok: true }));
      });
      await expect(app.ready()).resolves.toBeDefined();
      const open = await app.inject({ method: 'GET', url: '/api/v1/guarded-public' });
      expect(open.statusCode).toBe(200);
      expect(open.json()).toEqual({ ok: true });
      const closed = await app.inject({ method: 'GET', url: '/api/v1/guarded-user' });
      expect(closed.statusCode).toBe(401);
      expect(closed.headers['www-authenticate']).toMatch(/^Bearer/);
    } finally {
      await app.close();
    }
  });

  it('fails for a malformed access declaration instead of failing at request time', async () => {
    // A typo'd level (possible from JavaScript or a cast) must be a boot error, like a missing one.
    const error = await bootError(db, (app) => {
      app.get('/api/v1/typo', { config: { access: { level: 'everyone' } as unknown as RouteAccess } }, async () => ({}));
    });
    expect(error, 'the app booted with access { level: "everyone" }').not.toBeNull();
    expect(error!.message).toContain('GET /api/v1/typo');
  });
});
