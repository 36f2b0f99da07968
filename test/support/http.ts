import type { LightMyRequestResponse } from 'fastify';
import { hashPassword } from '../../src/auth/passwords.js';
import type { DataLayer } from '../../src/data/data-layer.js';
import { buildApp } from '../../src/http/app.js';
import type { App } from '../../src/http/types.js';

export interface Member {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

export const testPassword = 'a long and unusual passphrase 42';

export interface Client {
  app: App;
  request(method: string, url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /**
   * Registers a member and logs them in through the API. Instructors and admins are made outside
   * the API, as `paceline users create` does, then log in like anyone else.
   */
  member(username: string, options?: { profile?: 'public' | 'private'; role?: 'member' | 'instructor' | 'admin' }): Promise<Member>;
}

/** An in-process app on the given data layer, with helpers that go through the public API only. */
export async function createClient(data: DataLayer): Promise<Client> {
  const app = await buildApp({ data, auth: { registrationsPerHour: 10_000 } });
  await app.ready();

  const request: Client['request'] = (method, url, options = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.headers ?? {}) },
    });

  return {
    app,
    request,
    async member(username, options = {}) {
      const email = `${username}@example.test`;
      let id: string;
      if (options.role && options.role !== 'member') {
        id = await data.accounts.register({ username, email, passwordHash: await hashPassword(testPassword), role: options.role });
      } else {
        const registered = await request('POST', '/api/v1/auth/register', { body: { username, email, password: testPassword } });
        if (registered.statusCode !== 201) throw new Error(`register ${username}: ${registered.statusCode} ${registered.body}`);
        id = registered.json().user.id as string;
      }
      const login = await request('POST', '/api/v1/auth/login', { body: { login: username, password: testPassword } });
      if (login.statusCode !== 200) throw new Error(`login ${username}: ${login.statusCode} ${login.body}`);
      const token = login.json().token as string;
      if (options.profile) {
        const patched = await request('PATCH', '/api/v1/me', { token, body: { privacy: { profile: options.profile } } });
        if (patched.statusCode !== 200) throw new Error(`privacy ${username}: ${patched.body}`);
      }
      return { id, username, email, password: testPassword, token };
    },
  };
}
