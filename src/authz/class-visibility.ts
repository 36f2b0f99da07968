import { sql } from 'kysely';
import { type Rule, allowAll, column, denyAll } from './rule.js';
import { blockBetween } from './user-visibility.js';
import type { Viewer } from './viewer.js';

/**
 * The class catalog is public, anonymous callers included, but a class is part of its
 * instructor's presence: a suspended instructor's classes disappear, and a blocked pair (either
 * direction) does not see the other's classes, as it does not see the other anywhere else.
 */
export function classVisibleTo(viewer: Viewer, alias = 'classes'): Rule {
  if (viewer.kind === 'system') return allowAll;
  const me = viewer.kind === 'user' ? viewer.userId : null;
  return (eb) => {
    const instructor = eb
      .selectFrom('users as instructor')
      .select(sql.lit(1).as('one'))
      .where('instructor.id', '=', column(alias, 'instructor_id'))
      .where('instructor.status', '=', 'active');
    return eb.exists(me === null ? instructor : instructor.where((inner) => inner.not(blockBetween(inner, me, sql.ref('instructor.id')))));
  };
}

/**
 * Who may change a class: its instructor, or an administrator. Members (and instructors, for
 * classes not theirs) may see it but not change it: 403 where the class is visible.
 */
export function classManagedBy(viewer: Viewer, alias = 'classes'): Rule {
  if (viewer.kind !== 'user') return denyAll;
  if (viewer.role === 'admin') return classVisibleTo(viewer, alias);
  if (viewer.role !== 'instructor') return denyAll;
  return (eb) => eb.and([eb(column(alias, 'instructor_id'), '=', viewer.userId), classVisibleTo(viewer, alias)(eb)]);
}
