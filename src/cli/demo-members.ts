import { randomBytes } from 'node:crypto';
import { hashPassword } from '../auth/passwords.js';
import { allScopes } from '../authz/scopes.js';
import type { UserViewer } from '../authz/viewer.js';
import type { DataLayer } from '../data/data-layer.js';
import type { Discipline, Role, WorkoutVisibility } from '../db/schema.js';

export interface DemoMember {
  username: string;
  password: string;
  description: string;
}

export interface DemoContent {
  members: DemoMember[];
  leaderboardClassId: string | null;
}

interface DemoAccount {
  username: string;
  role: Role;
  profile: 'public' | 'private';
  leaderboard?: 'visible' | 'hidden';
  /** Accounts with a description get a password, shown once; the other riders cannot log in. */
  description?: string;
}

const accounts: DemoAccount[] = [
  { username: 'demo_public', role: 'member', profile: 'public', description: 'member with a public profile' },
  { username: 'demo_private', role: 'member', profile: 'private', description: 'member with a private profile' },
  { username: 'demo_coach', role: 'instructor', profile: 'public', description: 'instructor (creates and edits classes)' },
  { username: 'demo_admin', role: 'admin', profile: 'private', description: 'administrator' },
  { username: 'rider_alex', role: 'member', profile: 'public' },
  { username: 'rider_sam', role: 'member', profile: 'private' },
  { username: 'rider_kim', role: 'member', profile: 'public', leaderboard: 'hidden' },
];

const classes: { title: string; discipline: Discipline; minutes: number; difficulty: number }[] = [
  { title: 'Morning Climb', discipline: 'cycling', minutes: 30, difficulty: 7 },
  { title: 'Endurance Ride', discipline: 'cycling', minutes: 45, difficulty: 5 },
  { title: 'Sunset Flow', discipline: 'yoga', minutes: 20, difficulty: 2 },
];

/**
 * Rides in "Morning Climb". As demo_public sees its leaderboard: their own ride and rider_alex's
 * public one are named; demo_private's followers-only ride and rider_sam's ride on a private
 * profile are private athletes; rider_kim, hidden from leaderboards, is absent.
 */
const rides: { username: string; outputKj: number; visibility: WorkoutVisibility }[] = [
  { username: 'rider_alex', outputKj: 412, visibility: 'public' },
  { username: 'demo_private', outputKj: 388, visibility: 'followers' },
  { username: 'rider_kim', outputKj: 365, visibility: 'public' },
  { username: 'demo_public', outputKj: 341, visibility: 'public' },
  { username: 'rider_sam', outputKj: 297, visibility: 'public' },
];

/** About 119 random bits in letters and digits only, so it pastes cleanly into a shell. */
function freshPassword(): string {
  return randomBytes(24).toString('base64url').replace(/[-_]/g, '').slice(0, 20);
}

/**
 * Setting up demo content acts as each member in turn, through the same viewer-scoped data
 * layer (and so the same rules) as their requests would; no credential is issued for it.
 */
function actingAs(userId: string, role: Role): UserViewer {
  return Object.freeze({ kind: 'user', userId, role, scopes: new Set(allScopes), credentialId: 'demo-setup', credentialKind: 'session', securityStamp: 'demo-setup' });
}

/**
 * On an empty database only: demo members with freshly generated passwords (never a fixed,
 * well-known one), returned so the caller can show them once, plus classes, workouts and a
 * leaderboard with both named and "private athlete" entries.
 */
export async function createDemoContent(data: DataLayer): Promise<DemoContent> {
  if (!(await data.accounts.isEmpty())) return { members: [], leaderboardClassId: null };
  const members: DemoMember[] = [];
  const viewers = new Map<string, UserViewer>();
  // Riders without a login get a hash that can never verify.
  const unusable = '!demo-rider-without-login';
  for (const account of accounts) {
    const password = account.description ? freshPassword() : null;
    const id = await data.accounts.register({
      username: account.username,
      email: `${account.username}@paceline.invalid`,
      passwordHash: password ? await hashPassword(password) : unusable,
      displayName: account.username.replace('_', ' '),
      role: account.role,
      profile: account.profile,
    });
    const viewer = actingAs(id, account.role);
    viewers.set(account.username, viewer);
    if (account.leaderboard) await data.forViewer(viewer).me.update({ privacy: { leaderboard: account.leaderboard } });
    if (password && account.description) members.push({ username: account.username, password, description: account.description });
  }
  const as = (username: string) => data.forViewer(viewers.get(username) as UserViewer);

  const day = 24 * 3600_000;
  const created = [];
  for (const [index, fitnessClass] of classes.entries()) {
    created.push(
      await as('demo_coach').classes.create({
        title: fitnessClass.title,
        discipline: fitnessClass.discipline,
        durationSeconds: fitnessClass.minutes * 60,
        difficulty: fitnessClass.difficulty,
        airedAt: new Date(Date.now() - (index + 2) * day).toISOString(),
      }),
    );
  }
  const climb = created[0];
  if (!climb) return { members, leaderboardClassId: null };
  for (const [index, ride] of rides.entries()) {
    await as(ride.username).workouts.create({
      classId: climb.id,
      discipline: 'cycling',
      title: `${climb.title} with demo coach`,
      startedAt: new Date(Date.now() - day + index * 3600_000).toISOString(),
      durationSeconds: climb.durationSeconds,
      totalOutputKj: ride.outputKj,
      avgCadenceRpm: 80 + index,
      avgHeartRateBpm: 140 + index * 3,
      calories: Math.round(ride.outputKj * 1.1),
      visibility: ride.visibility,
    });
  }
  await as('demo_public').follows.follow((viewers.get('rider_alex') as UserViewer).userId);
  await as('demo_public').workouts.create({ discipline: 'running', title: 'Easy 5k', startedAt: new Date(Date.now() - 3 * day).toISOString(), durationSeconds: 1800, distanceKm: 5, calories: 320 });
  return { members, leaderboardClassId: climb.id };
}
