import type { MemberCounterColumn } from '../member-counters.js';
import type { Gender, UsersTable, WorkoutVisibility } from '../schema.js';
import { isoTimestamp } from './iso-time.js';
import { type Plan, calendar, proportions } from './plan.js';
import { type Stream, createStream, hash32, streamKind, weighted } from './random.js';
import { idSpace, seededUuidV4, seededUuidV4Lead } from './uuid.js';
import { bios, cities, firstNames, instructorBios, lastNames } from './vocabulary.js';
import type { Columns, TableWriter } from './writer.js';

export const memberColumns = {
  id: 'text',
  username: 'text',
  email: 'text',
  password_hash: 'text',
  display_name: 'text',
  display_name_key: 'text',
  bio: 'text',
  location: 'text',
  birthday: 'text',
  gender: 'text',
  weight_kg: 'double precision',
  height_cm: 'double precision',
  role: 'text',
  status: 'text',
  privacy_profile: 'text',
  privacy_searchable: 'integer',
  privacy_leaderboard: 'text',
  privacy_default_workout_visibility: 'text',
  created_at: 'text',
  updated_at: 'text',
  security_stamp: 'text',
} as const satisfies Record<Exclude<keyof UsersTable, MemberCounterColumn>, string> & Columns;

/**
 * Synthetic members cannot log in: this is not an argon2 hash, so verifyPassword fails for every
 * password (it answers false for a malformed hash), and no one needs a password that was printed
 * or derived from the seed.
 */
export const unusablePasswordHash = '!seeded';

export const workoutVisibilities = ['public', 'followers', 'only_me'] as const satisfies readonly WorkoutVisibility[];

/**
 * What later phases need to know about each member, one byte each so millions fit: bit 0 is a
 * private profile, bits 1–2 the default workout visibility (an index into workoutVisibilities).
 */
export type MemberFlags = Uint8Array;

export interface MemberCounts {
  instructors: number;
  privateProfiles: number;
  unsearchable: number;
  hiddenFromLeaderboards: number;
  suspended: number;
}

/** Registration time: one member per slot, in index order. */
export function memberCreatedMs(plan: Plan, index: number): number {
  const jitter = Math.floor((hash32(plan.seed, streamKind.member, index) / 4294967296) * plan.registrationSlotMs);
  return calendar.start + index * plan.registrationSlotMs + jitter;
}

export function memberId(plan: Plan, index: number): string {
  // Random-looking, as the server's are: a member id must not carry the registration time.
  return seededUuidV4(plan.seed, idSpace.user, index);
}

/**
 * Member indices in the order of their ids (by the ids' first 32 bits). Rows keyed by member id
 * first (follows) are written in this order, so their primary-key index grows at its end instead
 * of at random places: random ids must not make the load a random walk through a large index.
 */
export function membersInIdOrder(plan: Plan): Uint32Array {
  const keys = new BigUint64Array(plan.users);
  for (let i = 0; i < plan.users; i++) keys[i] = (BigInt(seededUuidV4Lead(plan.seed, idSpace.user, i)) << 32n) | BigInt(i);
  keys.sort();
  const order = new Uint32Array(plan.users);
  for (let i = 0; i < plan.users; i++) order[i] = Number((keys[i] as bigint) & 0xffffffffn);
  return order;
}

export function isPrivate(flags: MemberFlags, index: number): boolean {
  return ((flags[index] ?? 0) & 1) === 1;
}

export function defaultVisibilityOf(flags: MemberFlags, index: number): WorkoutVisibility {
  return workoutVisibilities[((flags[index] ?? 0) >>> 1) & 3] ?? 'followers';
}

// Followers-only is the API's default, and most members keep it.
const pickDefaultVisibility = weighted<WorkoutVisibility>([['followers', 55], ['public', 35], ['only_me', 10]]);
const pickGender = weighted<Gender>([['female', 44], ['male', 44], ['non_binary', 4], ['other', 2], ['prefer_not_to_say', 6]]);

/** Inserts every member; answers the flags later phases need and the counts for the summary. */
export async function writeMembers(plan: Plan, writer: TableWriter, progress: (done: number) => void): Promise<{ flags: MemberFlags; counts: MemberCounts }> {
  const flags = new Uint8Array(plan.users);
  const counts: MemberCounts = { instructors: plan.instructors, privateProfiles: 0, unsearchable: 0, hiddenFromLeaderboards: 0, suspended: 0 };
  for (let i = 0; i < plan.users; i++) {
    const row = memberRow(plan, i, flags, counts);
    const sent = writer.add(row);
    if (sent) {
      await sent;
      progress(i + 1);
    }
  }
  await writer.end();
  progress(plan.users);
  return { flags, counts };
}

function memberRow(plan: Plan, index: number, flags: MemberFlags, counts: MemberCounts): unknown[] {
  const s = createStream(plan.seed, streamKind.member, index);
  // Instructors are public faces of the platform: public, searchable, on leaderboards, active.
  const instructor = index < plan.instructors;
  const profilePrivate = !instructor && s.chance(proportions.privateProfile);
  const searchable = instructor || !s.chance(proportions.unsearchable);
  const hidden = !instructor && s.chance(proportions.hiddenFromLeaderboards);
  const suspended = !instructor && s.chance(proportions.suspended);
  const visibility = pickDefaultVisibility(s);
  flags[index] = (profilePrivate ? 1 : 0) | (workoutVisibilities.indexOf(visibility) << 1);
  if (profilePrivate) counts.privateProfiles++;
  if (!searchable) counts.unsearchable++;
  if (hidden) counts.hiddenFromLeaderboards++;
  if (suspended) counts.suspended++;

  const username = `member${String(index).padStart(plan.usernameDigits, '0')}`;
  const displayName = nameFor(s);
  const createdMs = memberCreatedMs(plan, index);
  const updatedMs = s.chance(0.35) ? createdMs + Math.floor(s.float() * (calendar.now - createdMs)) : createdMs;
  const body = bodyFor(s);
  return [
    memberId(plan, index),
    username,
    // .invalid is reserved (RFC 2606): nothing is ever delivered to a synthetic member.
    `${username}@seed.paceline.invalid`,
    unusablePasswordHash,
    displayName,
    displayName.toLowerCase(),
    instructor ? s.pick(instructorBios) : s.chance(0.4) ? s.pick(bios) : null,
    s.chance(0.55) ? s.pick(cities) : null,
    s.chance(0.65) ? birthdayFor(s) : null,
    body.gender,
    body.weightKg,
    body.heightCm,
    instructor ? 'instructor' : 'member',
    suspended ? 'suspended' : 'active',
    profilePrivate ? 'private' : 'public',
    searchable ? 1 : 0,
    hidden ? 'hidden' : 'visible',
    visibility,
    isoTimestamp(createdMs),
    isoTimestamp(updatedMs),
    // The stamp that credentials from before any rotation carry: seeded members have none.
    '',
  ];
}

function nameFor(s: Stream): string {
  const first = s.pick(firstNames);
  const last = s.pick(lastNames);
  // Some members show only an initial, as people do.
  return s.chance(0.1) ? `${first} ${last.charAt(0)}.` : `${first} ${last}`;
}

/** 18 to 75 years old on the synthetic "now", as a calendar date. */
function birthdayFor(s: Stream): string {
  const ageDays = s.int(18 * 365 + 5, 75 * 365);
  return isoTimestamp(calendar.now - ageDays * calendar.day).slice(0, 10);
}

function bodyFor(s: Stream): { gender: Gender | null; weightKg: number | null; heightCm: number | null } {
  const gender = s.chance(0.7) ? pickGender(s) : null;
  if (!s.chance(0.45)) return { gender, weightKg: null, heightCm: null };
  const [weight, height] =
    gender === 'female' ? [[50, 90], [152, 180]] : gender === 'male' ? [[62, 110], [165, 198]] : [[50, 105], [155, 192]];
  return {
    gender,
    weightKg: Math.round(s.between(weight[0]!, weight[1]!) * 10) / 10,
    heightCm: Math.round(s.between(height[0]!, height[1]!)),
  };
}
