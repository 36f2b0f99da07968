import { type ClassesTable, type Discipline, disciplines } from '../schema.js';
import { profiles, pickDiscipline, pickMinutes } from './disciplines.js';
import { isoTimestamp } from './iso-time.js';
import { memberCreatedMs, memberId } from './members.js';
import { type Plan, calendar } from './plan.js';
import { createStream, streamKind } from './random.js';
import { idSpace, seededUuidV4 } from './uuid.js';
import type { Columns, TableWriter } from './writer.js';

export const classColumns = {
  id: 'text',
  title: 'text',
  discipline: 'text',
  instructor_id: 'text',
  duration_seconds: 'integer',
  difficulty: 'integer',
  aired_at: 'text',
  created_at: 'text',
} as const satisfies Record<keyof ClassesTable, string> & Columns;

/** What workouts need to know about a class to be taken in it. */
export interface SeededClass {
  id: string;
  discipline: Discipline;
  title: string;
  durationSeconds: number;
  airedMs: number;
}

export type ClassCatalog = Record<Discipline, SeededClass[]>;

/** An instructor's main discipline: three of four of their classes are in it. */
function specialtyOf(plan: Plan, instructor: number): Discipline {
  return pickDiscipline(createStream(plan.seed, streamKind.instructors, instructor));
}

/** Inserts the class catalog and keeps it (it is small) for the workouts phase. */
export async function writeClasses(plan: Plan, writer: TableWriter, progress: (done: number) => void): Promise<ClassCatalog> {
  const catalog = Object.fromEntries(disciplines.map((d) => [d, [] as SeededClass[]])) as ClassCatalog;
  for (let index = 0; index < plan.classes; index++) {
    const s = createStream(plan.seed, streamKind.classes, index);
    const instructor = s.int(0, plan.instructors - 1);
    const discipline = s.chance(0.75) ? specialtyOf(plan, instructor) : pickDiscipline(s);
    const minutes = pickMinutes(discipline, s);
    const profile = profiles[discipline];
    // Aired after the instructor joined (with two weeks to schedule it) and before "now".
    const earliest = memberCreatedMs(plan, instructor) + 15 * calendar.day;
    const airedMs = earliest + Math.floor(s.float() * (calendar.now - calendar.day - earliest));
    const createdMs = airedMs - s.int(calendar.day, 14 * calendar.day);
    const klass: SeededClass = {
      id: seededUuidV4(plan.seed, idSpace.class, index),
      discipline,
      title: `${minutes} min ${s.pick(profile.classStyles)} ${profile.classNoun}`,
      durationSeconds: minutes * 60,
      airedMs,
    };
    catalog[discipline].push(klass);
    // Difficulty clusters in the middle of 1–10, as a catalog's does.
    const difficulty = Math.max(1, Math.min(10, Math.round(1 + 4.5 * (s.float() + s.float()))));
    const sent = writer.add([
      klass.id,
      klass.title,
      discipline,
      memberId(plan, instructor),
      klass.durationSeconds,
      difficulty,
      isoTimestamp(airedMs),
      isoTimestamp(createdMs),
    ]);
    if (sent) {
      await sent;
      progress(index + 1);
    }
  }
  await writer.end();
  progress(plan.classes);
  return catalog;
}
