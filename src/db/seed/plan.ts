/**
 * What a seed run makes: the requested sizes, the counts derived from them, the synthetic
 * calendar and the proportions of the mix. Everything here is fixed for a given set of options,
 * so the same options always describe the same data.
 */
export interface Plan {
  seed: number;
  users: number;
  workoutsPerUser: number;
  followsPerUser: number;
  classes: number;
  /** Members 0 … instructors-1 are the instructors: the platform's first accounts. */
  instructors: number;
  /** Digits in usernames (member000123), enough for the largest index. */
  usernameDigits: number;
  /** Members register in index order, one per slot of this many milliseconds. */
  registrationSlotMs: number;
}

const day = 86_400_000;

/**
 * The synthetic calendar is fixed rather than relative to today, so a seed run tomorrow makes the
 * same rows as one today. Members register over three years; the world's "now" is half a year
 * after the last registration, so every member has had time to train.
 */
export const calendar = {
  start: Date.UTC(2022, 0, 1),
  registrationEnd: Date.UTC(2025, 0, 1),
  now: Date.UTC(2025, 6, 1),
  day,
} as const;

/** The proportions of the generated mix (see docs/design.md, "Seeding"). */
export const proportions = {
  privateProfile: 0.4,
  unsearchable: 0.08,
  hiddenFromLeaderboards: 0.08,
  suspended: 0.005,
  /** Share of members who have blocked someone (each blocks one to three). */
  blockers: 0.01,
  /** Share of follows toward a private profile still waiting for approval. */
  pendingTowardPrivate: 0.3,
  /** Share of follows that go to an instructor. */
  followsToInstructors: 0.25,
  /** Share of workouts taken as a class (when the discipline has classes). */
  classWorkouts: 0.55,
  /** Share of workouts that keep the member's default visibility. */
  defaultVisibility: 0.85,
  classesPerInstructor: 20,
} as const;

/** Ids carry a 32-bit per-table index (uuid.ts), which bounds every table. */
export const maxRowsPerTable = 2 ** 32 - 1;

export function planFor(options: { seed: number; users: number; workoutsPerUser: number; followsPerUser: number; classes: number }): Plan {
  const { users, classes } = options;
  const instructors = classes === 0 ? 0 : Math.min(users, Math.ceil(classes / proportions.classesPerInstructor));
  return {
    ...options,
    instructors,
    usernameDigits: Math.max(6, String(users - 1).length),
    registrationSlotMs: Math.max(1, Math.floor((calendar.registrationEnd - calendar.start) / users)),
  };
}
