import { CompiledQuery, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { DB } from '../schema.js';

/** A column's PostgreSQL type, for the typed arrays of `unnest` (see below). */
export type ColumnType = 'text' | 'integer' | 'double precision';

/** A table's columns in row order, with their types. */
export type Columns = Readonly<Record<string, ColumnType>>;

export interface TableWriter {
  /** Queues one row (values in column order). Answers a promise when a batch went out: await it. */
  add(row: readonly unknown[]): Promise<void> | undefined;
  /** Sends what is queued and waits for every batch. */
  end(): Promise<void>;
}

// SQLite binds at most 32,766 parameters per statement; a few hundred rows per statement are
// already as fast as more, and a statement of the same size each time is prepared once
// (database.ts caches prepared statements by SQL text).
const sqliteRowsPerStatement = 500;
const sqliteMaxParameters = 32_766;
// PostgreSQL gets one array per column, so the parameter limit does not apply; 5,000 rows keep
// each round trip large while the next batch is generated during it.
const postgresRowsPerStatement = 5000;

/**
 * Batched inserts into one table, inside the caller's transaction. SQLite gets multi-row
 * `INSERT … VALUES`, PostgreSQL `INSERT … SELECT * FROM unnest($1::text[], …)`: one parameter
 * per column instead of one per value, which PostgreSQL parses and plans far faster. On PostgreSQL
 * one batch is in flight while the caller generates the next, so the server and Node work at the
 * same time (two cores).
 */
export function createTableWriter(db: Kysely<DB>, dialect: DialectName, table: keyof DB, columns: Columns): TableWriter {
  return dialect === 'sqlite' ? sqliteWriter(db, table, columns) : postgresWriter(db, table, columns);
}

function columnList(columns: Columns): string {
  return Object.keys(columns).map((name) => `"${name}"`).join(', ');
}

function sqliteWriter(db: Kysely<DB>, table: keyof DB, columns: Columns): TableWriter {
  const width = Object.keys(columns).length;
  const rowsPerStatement = Math.min(sqliteRowsPerStatement, Math.floor(sqliteMaxParameters / width));
  const rowPlaceholder = `(${Array(width).fill('?').join(', ')})`;
  const head = `insert into "${table}" (${columnList(columns)}) values `;
  const statements = new Map<number, string>();
  let values: unknown[] = [];
  let rows = 0;

  function statementFor(count: number): string {
    let text = statements.get(count);
    if (text === undefined) {
      text = head + Array(count).fill(rowPlaceholder).join(', ');
      statements.set(count, text);
    }
    return text;
  }

  async function flush(): Promise<void> {
    if (rows === 0) return;
    const query = CompiledQuery.raw(statementFor(rows), values);
    values = [];
    rows = 0;
    await db.executeQuery(query);
  }

  return {
    add(row) {
      for (const value of row) values.push(value);
      return ++rows === rowsPerStatement ? flush() : undefined;
    },
    end: flush,
  };
}

function postgresWriter(db: Kysely<DB>, table: keyof DB, columns: Columns): TableWriter {
  const types = Object.values(columns);
  const text =
    `insert into "${table}" (${columnList(columns)}) ` +
    `select * from unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;
  let arrays: unknown[][] = types.map(() => []);
  let rows = 0;
  let inFlight: Promise<unknown> = Promise.resolve();

  async function flush(): Promise<void> {
    const previous = inFlight;
    if (rows > 0) {
      const sent = db.executeQuery(CompiledQuery.raw(text, arrays));
      // Awaited at the next flush or at end(); until then a failure must not count as unhandled.
      sent.catch(() => {});
      inFlight = sent;
      arrays = types.map(() => []);
      rows = 0;
    }
    await previous;
  }

  return {
    add(row) {
      for (let i = 0; i < row.length; i++) arrays[i]!.push(row[i]);
      return ++rows === postgresRowsPerStatement ? flush() : undefined;
    },
    async end() {
      await flush();
      await inFlight;
    },
  };
}
