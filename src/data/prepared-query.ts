import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Viewer } from '../authz/viewer.js';
import type { DB } from '../db/schema.js';

const marker = '\u0000paceline-argument:';

export interface PreparedQuery<Name extends string, Row> {
  execute(args: Record<Name, string>): Promise<Row[]>;
}

/**
 * A query built and compiled once, then run with new arguments. Building and compiling a Kysely
 * query costs more than running it (bench/read-path.ts: about 260 µs of a 640 µs profile read),
 * while a viewer-scoped query has one shape per kind of viewer: only the viewer's and the
 * target's values change. So the query is built once with placeholder arguments, and each call
 * puts the real values at the placeholders' parameter positions. Positions are fixed at compile
 * time, so no value passed later can be mistaken for a placeholder.
 */
function prepare<Name extends string, Row>(
  db: Kysely<DB>,
  names: readonly Name[],
  build: (placeholders: Record<Name, string>) => Compilable<Row>,
): PreparedQuery<Name, Row> {
  const placeholders = Object.fromEntries(names.map((name) => [name, `${marker}${name}`])) as Record<Name, string>;
  const compiled: CompiledQuery<Row> = build(placeholders).compile();
  const slots = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(marker) ? (value.slice(marker.length) as Name) : null,
  );
  return {
    async execute(args) {
      const parameters = compiled.parameters.map((value, index) => {
        const slot = slots[index];
        return slot === null || slot === undefined ? value : args[slot];
      });
      return (await db.executeQuery<Row>({ ...compiled, parameters })).rows;
    },
  };
}

const cache = new WeakMap<Kysely<DB>, Map<string, PreparedQuery<string, unknown>>>();

/** The prepared query named `key` for this database, built on first use. */
export function preparedQuery<Name extends string, Row>(
  db: Kysely<DB>,
  key: string,
  names: readonly Name[],
  build: (placeholders: Record<Name, string>) => Compilable<Row>,
): PreparedQuery<Name, Row> {
  let queries = cache.get(db);
  if (!queries) {
    queries = new Map();
    cache.set(db, queries);
  }
  let query = queries.get(key) as PreparedQuery<Name, Row> | undefined;
  if (!query) {
    query = prepare(db, names, build);
    queries.set(key, query as PreparedQuery<string, unknown>);
  }
  return query;
}

/**
 * The viewer to build a prepared query for: the same kind of viewer with its user id replaced by
 * the query's placeholder, so one compiled statement serves every member.
 */
export function viewerWithUserId(viewer: Viewer, userId: string): Viewer {
  return viewer.kind === 'user' ? { ...viewer, userId } : viewer;
}
