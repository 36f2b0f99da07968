import type { Discipline, WorkoutVisibility, WorkoutsTable } from '../schema.js';
import type { ClassCatalog, SeededClass } from './classes.js';
import { type DisciplineProfile, pickDiscipline, pickMinutes, profiles } from './disciplines.js';
import { isoTimestamp } from './iso-time.js';
import { type MemberFlags, defaultVisibilityOf, memberCreatedMs, memberId, workoutVisibilities } from './members.js';
import { type Plan, calendar, proportions } from './plan.js';
import { type Stream, createStream, streamKind, weighted } from './random.js';
import { idSpace, seededUuidV7 } from './uuid.js';
import type { Columns, TableWriter } from './writer.js';

export const workoutColumns = {
  id: 'text',
  user_id: 'text',
  class_id: 'text',
  discipline: 'text',
  title: 'text',
  started_at: 'text',
  duration_seconds: 'integer',
  total_output_kj: 'double precision',
  avg_cadence_rpm: 'double precision',
  avg_heart_rate_bpm: 'double precision',
  max_heart_rate_bpm: 'double precision',
  distance_km: 'double precision',
  calories: 'double precision',
  visibility: 'text',
  created_at: 'text',
} as const satisfies Record<keyof WorkoutsTable, string> & Columns;

/** What stays the same across one member's workouts. */
interface Athlete {
  index: number;
  id: string;
  /** 0.6 (beginner) to 1.4 (strong): scales watts and speed. */
  fitness: number;
  favorite: Discipline;
  wearsHeartRateMonitor: boolean;
  defaultVisibility: WorkoutVisibility;
}

// Hour of day (UTC) a workout starts: peaks before work, at lunch and in the evening.
const pickHour = weighted<number>(
  [2, 1, 1, 1, 1, 4, 12, 12, 8, 6, 4, 4, 8, 4, 4, 4, 6, 12, 16, 14, 10, 6, 2, 1].map((weight, hour) => [hour, weight] as const),
);

const hour = 3_600_000;

/** Each member gets exactly workoutsPerUser workouts, so load tests know their row counts. */
export async function writeWorkouts(plan: Plan, flags: MemberFlags, catalog: ClassCatalog, writer: TableWriter, progress: (done: number) => void): Promise<number> {
  let written = 0;
  for (let member = 0; member < plan.users && plan.workoutsPerUser > 0; member++) {
    const s = createStream(plan.seed, streamKind.workouts, member);
    const athlete: Athlete = {
      index: member,
      id: memberId(plan, member),
      fitness: s.between(0.6, 1.4),
      favorite: pickDiscipline(s),
      wearsHeartRateMonitor: s.chance(0.7),
      defaultVisibility: defaultVisibilityOf(flags, member),
    };
    const starts = startTimes(plan, member, s);
    for (let n = 0; n < plan.workoutsPerUser; n++) {
      const sent = writer.add(workoutRow(plan, athlete, n, starts[n]!, catalog, s));
      written++;
      if (sent) {
        await sent;
        progress(written);
      }
    }
  }
  await writer.end();
  progress(written);
  return written;
}

/** Start times over the member's life on the platform, in order, at realistic hours. */
function startTimes(plan: Plan, member: number, s: Stream): number[] {
  const since = memberCreatedMs(plan, member) + hour;
  const firstDay = Math.floor(since / calendar.day) * calendar.day + calendar.day;
  const days = Math.max(1, Math.floor((calendar.now - firstDay) / calendar.day) - 1);
  const starts: number[] = [];
  for (let n = 0; n < plan.workoutsPerUser; n++) {
    starts.push(firstDay + Math.floor(s.float() * days) * calendar.day + pickHour(s) * hour + Math.floor(s.float() * hour));
  }
  return starts.sort((a, b) => a - b);
}

function workoutRow(plan: Plan, athlete: Athlete, n: number, plannedStart: number, catalog: ClassCatalog, s: Stream): unknown[] {
  const discipline = s.chance(0.6) ? athlete.favorite : pickDiscipline(s);
  const klass = pickClass(catalog[discipline], s);
  const profile = profiles[discipline];
  const minutes = klass ? klass.durationSeconds / 60 : pickMinutes(discipline, s);
  // Without a class, people stop when they like: free workouts end at odd seconds.
  const durationSeconds = klass ? klass.durationSeconds : minutes * 60 + s.int(0, 59);
  // A class can only be taken after it aired: move the workout to within 30 days after that.
  const startedMs = klass && klass.airedMs > plannedStart ? klass.airedMs + Math.floor(s.float() * Math.min(30 * calendar.day, calendar.now - klass.airedMs - durationSeconds * 1000)) : plannedStart;
  const metrics = metricsFor(profile, durationSeconds, athlete, discipline, s);
  const visibility = s.chance(proportions.defaultVisibility) ? athlete.defaultVisibility : s.pick(workoutVisibilities);
  const createdMs = startedMs + durationSeconds * 1000;
  return [
    seededUuidV7(plan.seed, idSpace.workout, athlete.index * plan.workoutsPerUser + n, createdMs),
    athlete.id,
    klass ? klass.id : null,
    discipline,
    klass ? klass.title : `${minutes} min ${profile.freeTitle}`,
    isoTimestamp(startedMs),
    durationSeconds,
    metrics.outputKj,
    metrics.cadenceRpm,
    metrics.avgHeartRate,
    metrics.maxHeartRate,
    metrics.distanceKm,
    metrics.calories,
    visibility,
    isoTimestamp(createdMs),
  ];
}

/** A share of workouts are classes; popular classes (low positions) are taken far more often. */
function pickClass(classes: readonly SeededClass[], s: Stream): SeededClass | null {
  if (classes.length === 0 || !s.chance(proportions.classWorkouts)) return null;
  const u = s.float();
  return classes[Math.floor(classes.length * u * u)] ?? null;
}

/** The point of a range that a level from 0 to 1 reaches. */
function within(range: readonly [number, number], level: number): number {
  return range[0] + (range[1] - range[0]) * level;
}

function metricsFor(profile: DisciplineProfile, seconds: number, athlete: Athlete, discipline: Discipline, s: Stream) {
  // Mostly the member's fitness, partly the day's form.
  const level = Math.min(1, Math.max(0, ((athlete.fitness - 0.6) / 0.8) * 0.75 + s.float() * 0.25));
  const outputKj = profile.watts ? Math.round((within(profile.watts, level) * seconds) / 1000) : null;
  // Meditation rarely happens with a strap on.
  const measured = athlete.wearsHeartRateMonitor && (discipline !== 'meditation' || s.chance(0.3));
  const avgHeartRate = measured ? Math.round(s.between(...profile.heartRateBpm)) : null;
  return {
    outputKj,
    cadenceRpm: profile.cadenceRpm ? Math.round(within(profile.cadenceRpm, level) + s.between(-4, 4)) : null,
    avgHeartRate,
    maxHeartRate: avgHeartRate === null ? null : Math.min(205, avgHeartRate + s.int(8, 35)),
    distanceKm: profile.speedKmh ? Math.round(within(profile.speedKmh, level) * (seconds / 3600) * 100) / 100 : null,
    // Human efficiency on bike and rower is about 24%, so kcal burned ≈ kJ of work done.
    calories: outputKj !== null ? Math.round(outputKj * s.between(0.95, 1.15)) : Math.round(within(profile.kcalPerMinute, level) * (seconds / 60)),
  };
}
