import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { DialectName } from './databases.js';

/**
 * Columns that record activity rather than state: the security log (every refused login is an
 * event) and a credential's last use, which authentication refreshes.
 */
const ignoredTables = new Set(['security_events']);
const ignoredColumns: Record<string, string[]> = { credentials: ['last_used_at', 'idle_expires_at'] };

export interface TableDigest {
  /** A hash of every row of every table (rows sorted, so storage order does not matter). */
  digest(): Promise<string>;
  /** The rows per table, to show what changed. */
  snapshot(): Promise<Record<string, string[]>>;
  close(): Promise<void>;
}

function rowsText(table: string, rows: Record<string, unknown>[]): string[] {
  const ignored = ignoredColumns[table] ?? [];
  return rows
    .map((row) => JSON.stringify(Object.entries(row).filter(([column]) => !ignored.includes(column)).sort(([a], [b]) => a.localeCompare(b))))
    .sort();
}

function hash(snapshot: Record<string, string[]>): string {
  return createHash('sha256').update(JSON.stringify(snapshot)).digest('hex');
}

/**
 * Reads the database behind the app over a second connection of its own, outside the data layer:
 * SQLite read-only on the same file, PostgreSQL with a separate client.
 */
export async function openTableDigest(dialect: DialectName, url: string): Promise<TableDigest> {
  let read: () => Promise<Record<string, string[]>>;
  let close: () => Promise<void>;
  if (dialect === 'sqlite') {
    const sqlite = new BetterSqlite3(url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    const tables = (sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[])
      .map((row) => row.name)
      .filter((name) => !ignoredTables.has(name));
    const statements = tables.map((table) => [table, sqlite.prepare(`select * from "${table}"`)] as const);
    read = async () => Object.fromEntries(statements.map(([table, statement]) => [table, rowsText(table, statement.all() as Record<string, unknown>[])]));
    close = async () => {
      sqlite.close();
    };
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name");
    const tables = rows.map((row) => row.table_name).filter((name) => !ignoredTables.has(name));
    // One round trip: every table as a JSON array.
    const query = `select ${tables.map((table) => `(select coalesce(json_agg(t), '[]') from "${table}" t) as "${table}"`).join(', ')}`;
    read = async () => {
      const result = await client.query(query);
      const row = result.rows[0] as Record<string, Record<string, unknown>[]>;
      return Object.fromEntries(tables.map((table) => [table, rowsText(table, row[table] ?? [])]));
    };
    close = () => client.end();
  }
  return { digest: async () => hash(await read()), snapshot: read, close };
}
