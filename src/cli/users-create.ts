import { hashPassword, passwordProblem } from '../auth/passwords.js';
import type { Config } from '../config.js';
import { openDataLayer } from '../data/data-layer.js';
import type { Role } from '../db/schema.js';
import { readSecret } from './read-secret.js';

const roles: readonly Role[] = ['member', 'instructor', 'admin'];
const usernamePattern = /^[a-z0-9_]{3,30}$/;
const emailPattern = /^[^\s@]+@[^\s@]+$/;

/** `paceline users create`: the only way to make an administrator. The password comes from stdin. */
export async function createUser(config: Config, input: { username?: string; email?: string; role?: string }): Promise<string> {
  const { username, email, role = 'member' } = input;
  if (!username || !usernamePattern.test(username)) throw new UsageError('--username must be 3 to 30 of a-z, 0-9 and _');
  if (!email || !emailPattern.test(email) || email.length > 254) throw new UsageError('--email must be an email address');
  if (!roles.includes(role as Role)) throw new UsageError(`--role must be one of ${roles.join(', ')}`);
  const password = await readSecret(`Password for ${username}: `);
  const problem = passwordProblem(password, [username, email.split('@')[0] ?? '']);
  if (problem) throw new UsageError(`the password ${problem}`);
  const data = openDataLayer(config.databaseUrl);
  try {
    await data.migrate();
    return await data.accounts.register({ username, email, passwordHash: await hashPassword(password), role: role as Role });
  } finally {
    await data.close();
  }
}

export class UsageError extends Error {}
