import { type SeedOptions, type SeedProgress, type SeedSummary, openDataLayer } from '../data/data-layer.js';
import { UsageError } from './users-create.js';

/** The command's flags as parseArgs gives them. */
export interface SeedFlags {
  users?: string | undefined;
  'workouts-per-user'?: string | undefined;
  'follows-per-user'?: string | undefined;
  classes?: string | undefined;
  seed?: string | undefined;
}

/** Where the command writes: process.stdout and process.stderr, or stand-ins in tests. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export const seedDefaults = { workoutsPerUser: 10, followsPerUser: 10, classes: 200, seed: 1 } as const;

// Checked here so a bad flag fails before any database is opened, with the flag's own name. The
// data layer checks the same bounds again (src/db/seed.ts, seedLimits) for every other caller.
const flagLimits: Record<keyof SeedFlags, { option: keyof SeedOptions; min: number; max: number }> = {
  users: { option: 'users', min: 1, max: 50_000_000 },
  'workouts-per-user': { option: 'workoutsPerUser', min: 0, max: 10_000 },
  'follows-per-user': { option: 'followsPerUser', min: 0, max: 10_000 },
  classes: { option: 'classes', min: 0, max: 10_000_000 },
  seed: { option: 'seed', min: 0, max: 2 ** 32 - 1 },
};

export function parseSeedFlags(flags: SeedFlags): SeedOptions {
  if (flags.users === undefined) throw new UsageError('seed needs --users N');
  const options: SeedOptions = { users: 0, ...seedDefaults };
  for (const [flag, { option, min, max }] of Object.entries(flagLimits) as [keyof SeedFlags, (typeof flagLimits)[keyof SeedFlags]][]) {
    const text = flags[flag];
    if (text === undefined) continue;
    // Digits only: Number() would also take '', '1e5', '0x10' and ' 7 '.
    const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`);
    options[option] = value;
  }
  return options;
}

/**
 * `paceline seed`: migrates the database, fills it with synthetic data and prints a one-line
 * summary on stdout. On a terminal a progress bar runs on stderr meanwhile; piped or redirected,
 * only the summary is written, so logs and scripts get one plain line.
 */
export async function seedCommand(databaseUrl: string, flags: SeedFlags, out: { stdout: Output; stderr: Output } = process): Promise<SeedSummary> {
  const options = parseSeedFlags(flags);
  const bar = out.stderr.isTTY ? createProgressBar(out.stderr) : null;
  const data = openDataLayer(databaseUrl);
  try {
    await data.migrate();
    const summary = await data.seed(options, bar?.update);
    bar?.clear();
    out.stdout.write(`${summaryLine(options, summary)}\n`);
    return summary;
  } catch (error) {
    bar?.clear();
    throw error;
  } finally {
    await data.close();
  }
}

export function summaryLine(options: SeedOptions, summary: SeedSummary): string {
  return (
    `Seeded ${summary.users} members (${summary.instructors} instructors, ${summary.privateProfiles} private, ` +
    `${summary.hiddenFromLeaderboards} hidden from leaderboards, ${summary.suspended} suspended), ` +
    `${summary.follows} follows, ${summary.pendingRequests} pending requests, ${summary.blocks} blocks, ` +
    `${summary.classes} classes and ${summary.workouts} workouts in ${(summary.milliseconds / 1000).toFixed(1)} s (seed ${options.seed}).`
  );
}

// Blocks and follows report members processed, not rows (see SeedProgress).
const units: Record<SeedProgress['phase'], string> = {
  members: 'members',
  classes: 'classes',
  blocks: 'members',
  follows: 'members',
  workouts: 'workouts',
  counters: '',
  indexes: 'indexes',
  commit: '',
};

/**
 * One line redrawn in place with \r. Redrawn at most every 100 ms (and whenever the phase
 * changes): the seeder reports every batch, thousands of times a second, and a terminal that
 * repaints that often slows the run it is reporting on.
 */
function createProgressBar(stream: Output) {
  const started = Date.now();
  let lastDraw = 0;
  let lastPhase = '';
  let drawn = false;
  return {
    update(progress: SeedProgress) {
      const now = Date.now();
      if (progress.phase === lastPhase && now - lastDraw < 100 && progress.done < progress.total) return;
      lastDraw = now;
      lastPhase = progress.phase;
      drawn = true;
      // A terminal of unknown size (0 columns, as under some pseudo-terminals) gets 80.
      stream.write(`\r${progressLine(progress, (now - started) / 1000, stream.columns || 80)}\x1b[K`);
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

export function progressLine(progress: SeedProgress, seconds: number, columns: number): string {
  const share = progress.total === 0 ? 1 : Math.min(1, progress.done / progress.total);
  const total = String(progress.total);
  const counts = progress.phase === 'commit' || progress.phase === 'counters' ? null : `${String(progress.done).padStart(total.length)}/${total} ${units[progress.phase]}`;
  const text = [`${(share * 100).toFixed(0).padStart(3)}%`, counts, `${seconds.toFixed(1)} s`].filter((part) => part !== null).join('  ');
  const label = `seeding ${progress.phase.padEnd(8)} `;
  // A fixed-width bar where the line has room for one; the line must not wrap, or \r would
  // redraw only its last part.
  const width = Math.max(0, Math.min(30, columns - label.length - text.length - 5));
  const filled = Math.round(share * width);
  return `${label}[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`.slice(0, Math.max(0, columns - 1));
}
