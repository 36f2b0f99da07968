import { randomBytes } from 'node:crypto';
import { hashPassword } from '../auth/passwords.js';
import type { DataLayer } from '../data/data-layer.js';
import type { Role } from '../db/schema.js';

export interface DemoMember {
  username: string;
  password: string;
  description: string;
}

const demoMembers: { username: string; role: Role; profile: 'public' | 'private'; description: string }[] = [
  { username: 'demo_public', role: 'member', profile: 'public', description: 'member with a public profile' },
  { username: 'demo_private', role: 'member', profile: 'private', description: 'member with a private profile' },
  { username: 'demo_admin', role: 'admin', profile: 'private', description: 'administrator' },
];

/**
 * On an empty database only: three members with freshly generated passwords (never a fixed,
 * well-known one), returned so the caller can show them once.
 */
export async function createDemoMembers(data: DataLayer): Promise<DemoMember[]> {
  if (!(await data.accounts.isEmpty())) return [];
  const created: DemoMember[] = [];
  for (const member of demoMembers) {
    // About 119 random bits in letters and digits only, so it pastes cleanly into a shell.
    const password = randomBytes(24).toString('base64url').replace(/[-_]/g, '').slice(0, 20);
    await data.accounts.register({
      username: member.username,
      email: `${member.username}@paceline.invalid`,
      passwordHash: await hashPassword(password),
      displayName: member.username.replace('_', ' '),
      role: member.role,
      profile: member.profile,
    });
    created.push({ username: member.username, password, description: member.description });
  }
  return created;
}
