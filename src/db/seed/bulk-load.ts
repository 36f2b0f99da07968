import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { DB } from '../schema.js';

/** Something set aside for the load, with the statements that remove and restore it. */
interface SetAside {
  drop: string;
  restore: string;
}

/**
 * Runs a bulk load with the tables' secondary indexes, and on PostgreSQL their foreign keys, set
 * aside: dropped first and made again, from their own recorded definitions, once the rows are in.
 * Building an index from a full table is one sort; keeping it up to date through a million
 * inserts in random key order is a million B-tree descents, several times slower. PostgreSQL
 * checks a foreign key per row with a trigger and a query; adding the constraint afterwards
 * checks all rows in one join. (SQLite cannot drop a foreign key, and its per-row check is a
 * cheap index probe.) Indexes behind primary keys and unique columns stay: they check the rows.
 * All of it runs inside the caller's transaction, so no other session ever sees the tables
 * without their indexes or constraints, and a failure restores them with everything else.
 */
export async function withIndexesDeferred<T>(
  db: Kysely<DB>,
  dialect: DialectName,
  tables: readonly (keyof DB)[],
  load: () => Promise<T>,
  progress: (done: number, total: number) => void,
): Promise<T> {
  const setAside = dialect === 'sqlite' ? await sqliteIndexes(db, tables) : [...(await postgresConstraints(db, tables)), ...(await postgresIndexes(db, tables))];
  if (dialect === 'postgres') await sql`set local maintenance_work_mem = '256MB'`.execute(db);
  for (const item of setAside) await sql.raw(item.drop).execute(db);
  const result = await load();
  // Indexes before foreign keys, in reverse order of removal.
  const restores = setAside.map((item) => item.restore).reverse();
  for (const [done, restore] of restores.entries()) {
    progress(done, restores.length);
    await sql.raw(restore).execute(db);
  }
  progress(restores.length, restores.length);
  return result;
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Connection settings for a bulk load into SQLite, restored afterwards:
 * - The page cache may grow to 512 MB (only as pages are used; the default is 2 MB), so inserts
 *   into primary-key indexes in random (UUID) order do not read most pages back from the OS.
 * - Temporary storage (statement journals of multi-row inserts, the sorter that builds indexes)
 *   stays in memory instead of in temporary files.
 * - The rollback journal instead of the WAL, when no other connection has the file open. In WAL
 *   mode every page of the load is written twice, to the WAL and then, at the checkpoint, into
 *   the database; a rollback journal only keeps the pages that existed before, and the tables
 *   being loaded are empty. Both are atomic and crash-safe. With other connections open the
 *   switch is refused and the load runs in WAL mode as usual. (database.ts turns WAL on at every
 *   open, so even a crash before the switch back loses nothing.)
 */
export async function withBulkLoadSettings<T>(db: Kysely<DB>, dialect: DialectName, load: () => Promise<T>): Promise<T> {
  if (dialect !== 'sqlite') return load();
  const cache = await pragma(db, 'cache_size');
  const temp = await pragma(db, 'temp_store');
  await sql`pragma cache_size = -524288`.execute(db);
  await sql`pragma temp_store = memory`.execute(db);
  const leftWal = (await pragma(db, 'journal_mode')) === 'wal' && (await leaveWal(db));
  try {
    return await load();
  } finally {
    await sql.raw(`pragma cache_size = ${Number(cache)}`).execute(db);
    await sql.raw(`pragma temp_store = ${Number(temp)}`).execute(db);
    if (leftWal) await sql`pragma journal_mode = wal`.execute(db);
  }
}

async function pragma(db: Kysely<DB>, name: string): Promise<unknown> {
  const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db);
  return rows[0]?.[name];
}

/** Switches to the rollback journal if no other connection is open; never waits for one to close. */
async function leaveWal(db: Kysely<DB>): Promise<boolean> {
  const timeout = Number(await pragma(db, 'busy_timeout'));
  await sql`pragma busy_timeout = 0`.execute(db);
  try {
    const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode = delete`.execute(db);
    return rows[0]?.journal_mode === 'delete';
  } catch {
    return false;
  } finally {
    await sql.raw(`pragma busy_timeout = ${timeout}`).execute(db);
  }
}

async function sqliteIndexes(db: Kysely<DB>, tables: readonly string[]): Promise<SetAside[]> {
  // Constraint indexes (sqlite_autoindex_…) have no SQL text and cannot be dropped anyway.
  const { rows } = await sql<{ name: string; sql: string }>`
    select name, sql from sqlite_master
    where type = 'index' and sql is not null and tbl_name in (${sql.join(tables)})
    order by name`.execute(db);
  return rows.map((row) => ({ drop: `drop index ${quoted(row.name)}`, restore: row.sql }));
}

async function postgresIndexes(db: Kysely<DB>, tables: readonly string[]): Promise<SetAside[]> {
  const { rows } = await sql<{ name: string; definition: string }>`
    select index_class.relname as name, pg_get_indexdef(index_class.oid) as definition
    from pg_index
    join pg_class index_class on index_class.oid = pg_index.indexrelid
    join pg_class table_class on table_class.oid = pg_index.indrelid
    where table_class.relname in (${sql.join(tables)})
      and table_class.relnamespace = current_schema()::regnamespace
      and not exists (select 1 from pg_constraint where pg_constraint.conindid = index_class.oid)
    order by index_class.relname`.execute(db);
  return rows.map((row) => ({ drop: `drop index ${quoted(row.name)}`, restore: row.definition }));
}

/**
 * Foreign keys of the loaded tables, then primary keys and unique constraints that no remaining
 * foreign key depends on (on Paceline's schema: those of follows, blocks, workouts and classes;
 * the users key stays, as credentials refer to it). Dropped in this order, restored in reverse.
 */
async function postgresConstraints(db: Kysely<DB>, tables: readonly string[]): Promise<SetAside[]> {
  const { rows } = await sql<{ table: string; name: string; definition: string }>`
    select table_class.relname as table, constraint_row.conname as name, pg_get_constraintdef(constraint_row.oid) as definition
    from pg_constraint constraint_row
    join pg_class table_class on table_class.oid = constraint_row.conrelid
    where table_class.relname in (${sql.join(tables)})
      and table_class.relnamespace = current_schema()::regnamespace
      and (
        constraint_row.contype = 'f'
        or (constraint_row.contype in ('p', 'u') and not exists (
          select 1 from pg_constraint referring
          join pg_class referring_table on referring_table.oid = referring.conrelid
          where referring.contype = 'f' and referring.conindid = constraint_row.conindid
            and not (referring_table.relname in (${sql.join(tables)})
              and referring_table.relnamespace = current_schema()::regnamespace)))
      )
    order by case constraint_row.contype when 'f' then 0 else 1 end, table_class.relname, constraint_row.conname`.execute(db);
  return rows.map((row) => ({
    drop: `alter table ${quoted(row.table)} drop constraint ${quoted(row.name)}`,
    restore: `alter table ${quoted(row.table)} add constraint ${quoted(row.name)} ${row.definition}`,
  }));
}
