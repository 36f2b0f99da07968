import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';

/**
 * A visibility rule: given an expression builder positioned where the protected table is in
 * scope (under `alias`), it returns the boolean SQL condition "the viewer may see this row".
 * Rules are the only place authorization about rows is written; every read and every write's
 * WHERE uses them, so get, list, search and update cannot disagree.
 */
export type AnyBuilder = ExpressionBuilder<any, any>;
export type Rule = (eb: AnyBuilder) => Expression<SqlBool>;

/** Deny by default: an empty disjunction is `1 = 0` in SQL. */
export const denyAll: Rule = (eb) => eb.or([]);

export const allowAll: Rule = () => sql<SqlBool>`1 = 1`;

export function column(alias: string, name: string) {
  return sql.ref(`${alias}.${name}`);
}
