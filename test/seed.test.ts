import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyPassword } from '../src/auth/passwords.js';
import { isoTimestamp } from '../src/db/seed/iso-time.js';
import { parseSeedFlags, progressLine, seedCommand } from '../src/cli/seed.js';
import { UsageError } from '../src/cli/users-create.js';
import { type DataLayer, type SeedOptions, type SeedSummary, openDataLayer } from '../src/data/data-layer.js';
import { type DialectName, createTestDatabase, describeEachDialect } from './support/databases.js';

type Row = Record<string, unknown>;

/** A fresh, migrated database, and a second connection of its own to read back every row. */
interface SeedTarget {
  url: string;
  data: DataLayer;
  rows(query: string): Promise<Row[]>;
  dispose(): Promise<void>;
}

const small: SeedOptions = { users: 300, workoutsPerUser: 4, followsPerUser: 8, classes: 40, seed: 1 };
const tables = ['users', 'classes', 'blocks', 'follows', 'workouts'] as const;

// SQLite gets a temporary file, not :memory:, so a second connection can read what was written.
async function freshTarget(dialect: DialectName): Promise<SeedTarget> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'paceline-seed-'));
    const file = join(dir, 'seed.db');
    const url = `sqlite:${file}`;
    const data = openDataLayer(url);
    await data.migrate();
    let reader: BetterSqlite3.Database | undefined;
    return {
      url,
      data,
      async rows(query) {
        reader ??= new BetterSqlite3(file, { readonly: true });
        return reader.prepare(query).all() as Row[];
      },
      async dispose() {
        reader?.close();
        await data.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase('postgres');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    url: database.url,
    data: database.data,
    rows: async (query) => (await client.query(query)).rows as Row[],
    async dispose() {
      await client.end();
      await database.dispose();
    },
  };
}

/** One hash per table over every column of every row, independent of the order rows come back in. */
async function digests(target: SeedTarget): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of tables) {
    const lines = (await target.rows(`select * from ${table}`)).map((row) => JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));
    lines.sort();
    result[table] = createHash('sha256').update(lines.join('\n')).digest('hex');
  }
  return result;
}

async function count(target: SeedTarget, query: string): Promise<number> {
  const [row] = await target.rows(`select cast(count(*) as integer) as n from ${query}`);
  return Number(row?.n);
}

async function seededDigests(dialect: DialectName, options: SeedOptions): Promise<Record<string, string>> {
  const target = await freshTarget(dialect);
  try {
    await target.data.seed(options);
    return await digests(target);
  } finally {
    await target.dispose();
  }
}

describeEachDialect('paceline seed', (dialect) => {
  let target: SeedTarget;
  let summary: SeedSummary;

  beforeAll(async () => {
    target = await freshTarget(dialect);
    summary = await target.data.seed(small);
  });
  afterAll(async () => {
    await target?.dispose();
  });

  it('writes exactly the rows its summary counts', async () => {
    expect(summary).toMatchObject({ users: 300, classes: 40, workouts: 300 * 4 });
    expect(await count(target, 'users')).toBe(summary.users);
    expect(await count(target, 'classes')).toBe(summary.classes);
    expect(await count(target, 'workouts')).toBe(summary.workouts);
    expect(await count(target, 'blocks')).toBe(summary.blocks);
    expect(await count(target, "follows where state = 'approved'")).toBe(summary.follows);
    expect(await count(target, "follows where state = 'pending'")).toBe(summary.pendingRequests);
    expect(await count(target, "users where role = 'instructor'")).toBe(summary.instructors);
    expect(await count(target, "users where privacy_profile = 'private'")).toBe(summary.privateProfiles);
    expect(await count(target, "users where privacy_leaderboard = 'hidden'")).toBe(summary.hiddenFromLeaderboards);
    expect(await count(target, "users where status = 'suspended'")).toBe(summary.suspended);
    expect(await count(target, 'users where privacy_searchable = 0')).toBe(summary.unsearchable);
  });

  it('makes a mix of every kind of member and relationship', () => {
    expect(summary.instructors).toBe(2);
    expect(summary.privateProfiles).toBeGreaterThan(60);
    expect(summary.privateProfiles).toBeLessThan(240);
    expect(summary.hiddenFromLeaderboards).toBeGreaterThan(0);
    expect(summary.unsearchable).toBeGreaterThan(0);
    expect(summary.suspended).toBeGreaterThan(0);
    expect(summary.follows).toBeGreaterThan(summary.pendingRequests);
    expect(summary.pendingRequests).toBeGreaterThan(0);
    expect(summary.blocks).toBeGreaterThan(0);
  });

  it('keeps the social graph consistent: no self edges, requests only toward private profiles, nothing across a block', async () => {
    expect(await count(target, 'follows where follower_id = followee_id')).toBe(0);
    expect(await count(target, 'blocks where blocker_id = blocked_id')).toBe(0);
    expect(await count(target, "follows join users on users.id = follows.followee_id where follows.state = 'pending' and users.privacy_profile <> 'private'")).toBe(0);
    expect(
      await count(
        target,
        `follows join blocks on (blocks.blocker_id = follows.follower_id and blocks.blocked_id = follows.followee_id)
          or (blocks.blocker_id = follows.followee_id and blocks.blocked_id = follows.follower_id)`,
      ),
    ).toBe(0);
    // Edges start after both members joined, and no later than the synthetic "now".
    expect(await count(target, 'follows join users on users.id = follows.follower_id where follows.created_at < users.created_at')).toBe(0);
    expect(await count(target, 'follows join users on users.id = follows.followee_id where follows.created_at < users.created_at')).toBe(0);
  });

  it('sets every member counter to what the API would have kept on write', async () => {
    expect(await count(target, 'users where follower_count > 0')).toBeGreaterThan(50);
    expect(
      await count(
        target,
        `users where follower_count <> (select count(*) from follows f join users m on m.id = f.follower_id
            where f.followee_id = users.id and f.state = 'approved' and m.status = 'active')
          or following_count <> (select count(*) from follows f join users m on m.id = f.followee_id
            where f.follower_id = users.id and f.state = 'approved' and m.status = 'active')
          or workout_count_public <> (select count(*) from workouts w where w.user_id = users.id and w.visibility = 'public')
          or workout_count_followers <> (select count(*) from workouts w where w.user_id = users.id and w.visibility = 'followers')
          or workout_count_only_me <> (select count(*) from workouts w where w.user_id = users.id and w.visibility = 'only_me')`,
      ),
    ).toBe(0);
  });

  it('has instructors teach every class, and class workouts match their class', async () => {
    expect(await count(target, "classes join users on users.id = classes.instructor_id where users.role <> 'instructor' or users.status <> 'active'")).toBe(0);
    expect(await count(target, 'classes where difficulty < 1 or difficulty > 10 or duration_seconds < 60')).toBe(0);
    expect(await count(target, 'workouts left join classes on classes.id = workouts.class_id where workouts.class_id is not null and classes.id is null')).toBe(0);
    expect(
      await count(
        target,
        `workouts join classes on classes.id = workouts.class_id
          where workouts.discipline <> classes.discipline or workouts.title <> classes.title
            or workouts.duration_seconds <> classes.duration_seconds or workouts.started_at < classes.aired_at`,
      ),
    ).toBe(0);
    // Leaderboards have entries: class workouts with an output, by visible, active members.
    const ranked = await count(
      target,
      `workouts join users on users.id = workouts.user_id
        where workouts.class_id is not null and workouts.total_output_kj is not null and workouts.visibility <> 'only_me'
          and users.privacy_leaderboard = 'visible' and users.status = 'active'`,
    );
    expect(ranked).toBeGreaterThan(50);
  });

  it('records outputs, cadence and distance only where equipment measures them', async () => {
    expect(await count(target, "workouts where discipline in ('strength', 'yoga', 'meditation') and (total_output_kj is not null or distance_km is not null)")).toBe(0);
    expect(await count(target, "workouts where discipline in ('cycling', 'running', 'rowing', 'walking') and (total_output_kj is null or distance_km is null)")).toBe(0);
    expect(await count(target, "workouts where (avg_cadence_rpm is not null) <> (discipline = 'cycling')")).toBe(0);
    expect(await count(target, 'workouts where max_heart_rate_bpm < avg_heart_rate_bpm or calories <= 0 or duration_seconds <= 0')).toBe(0);
    expect(await count(target, 'workouts join users on users.id = workouts.user_id where workouts.started_at < users.created_at')).toBe(0);
    for (const visibility of ['public', 'followers', 'only_me']) {
      expect(await count(target, `workouts where visibility = '${visibility}'`)).toBeGreaterThan(0);
    }
  });

  it('makes valid members who cannot log in', async () => {
    const users = await target.rows('select * from users');
    const usernames = new Set(users.map((user) => user.username));
    const emails = new Set(users.map((user) => user.email));
    expect(usernames.size).toBe(users.length);
    expect(emails.size).toBe(users.length);
    const timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    for (const user of users) {
      expect(user.username).toMatch(/^[a-z0-9_]{3,30}$/);
      expect(user.email).toBe(`${String(user.username)}@seed.paceline.invalid`);
      expect(user.display_name_key).toBe(String(user.display_name).toLowerCase());
      expect(user.created_at).toMatch(timestamp);
      expect(String(user.updated_at) >= String(user.created_at)).toBe(true);
      // A random-looking UUIDv4: the id must not carry the registration time that cards hide.
      const id = String(user.id);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id.replaceAll('-', '')).not.toContain(Date.parse(String(user.created_at)).toString(16).padStart(12, '0'));
    }
    const [first] = users;
    expect(first?.password_hash).toBe('!seeded');
    expect(await verifyPassword(String(first?.password_hash), 'correct horse battery staple')).toBe(false);
    expect(await verifyPassword(String(first?.password_hash), '!seeded')).toBe(false);
  });

  it('refuses a database that already has members and leaves it as it was', async () => {
    const before = await digests(target);
    await expect(target.data.seed({ ...small, seed: 2 })).rejects.toMatchObject({ code: 'conflict' });
    expect(await digests(target)).toEqual(before);
  });

  it('refuses options out of range before touching the database', async () => {
    await expect(target.data.seed({ ...small, users: 0 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(target.data.seed({ ...small, workoutsPerUser: 1.5 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(target.data.seed({ ...small, seed: -1 })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('makes the same rows from the same options, and other rows from another seed', async () => {
    const original = await digests(target);
    expect(await seededDigests(dialect, small)).toEqual(original);
    const other = await seededDigests(dialect, { ...small, seed: 2 });
    for (const table of tables) expect(other[table]).not.toBe(original[table]);
  });

  it('restores every index and constraint it set aside for the load', async () => {
    const indexes =
      dialect === 'sqlite'
        ? await target.rows("select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex%' order by name")
        : await target.rows("select indexname as name from pg_indexes where schemaname = current_schema() and indexname not like 'kysely%' order by indexname");
    const fresh = await freshTarget(dialect);
    try {
      const expected =
        dialect === 'sqlite'
          ? await fresh.rows("select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex%' order by name")
          : await fresh.rows("select indexname as name from pg_indexes where schemaname = current_schema() and indexname not like 'kysely%' order by indexname");
      expect(indexes).toEqual(expected);
      // The load may leave the WAL for a rollback journal (bulk-load.ts); the file must be back.
      if (dialect === 'sqlite') expect(await target.rows('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      if (dialect === 'postgres') {
        const constraints = "select conname from pg_constraint join pg_class on pg_class.oid = conrelid where relnamespace = current_schema()::regnamespace order by conname";
        expect(await target.rows(constraints)).toEqual(await fresh.rows(constraints));
      }
    } finally {
      await fresh.dispose();
    }
  });
});

describe('paceline seed on a SQLite file in use', () => {
  it('keeps the WAL, without waiting, when another connection has the file open', async () => {
    const other = await freshTarget('sqlite');
    try {
      expect(await other.rows('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      const started = Date.now();
      await other.data.seed({ ...small, users: 40 });
      // busy_timeout is 5 s; the switch must be refused at once, not after waiting for it.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await count(other, 'users')).toBe(40);
      expect(await other.rows('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      await other.dispose();
    }
  });
});

describe.skipIf(inject('postgresAdminUrl') === null)('paceline seed across dialects', () => {
  it('makes byte-for-byte the same rows on SQLite and PostgreSQL', async () => {
    const options = { ...small, users: 120, seed: 99 };
    expect(await seededDigests('postgres', options)).toEqual(await seededDigests('sqlite', options));
  });
});

describe('the seeded follower graph', () => {
  it('has a heavy tail: instructors drawn Zipf-wise, the most followed far above the rest', async () => {
    const target = await freshTarget('sqlite');
    try {
      // 10 instructors; 5,000 members following 4 on average, a quarter of it to instructors.
      await target.data.seed({ users: 5000, workoutsPerUser: 0, followsPerUser: 4, classes: 200, seed: 1 });
      const rows = await target.rows(
        `select users.username, count(follows.follower_id) as n from users left join follows on follows.followee_id = users.id
         where users.role = 'instructor' group by users.id, users.username order by users.username`,
      );
      const counts = rows.map((row) => Number(row.n));
      expect(counts).toHaveLength(10);
      // Zipf: the k-th instructor draws about 1/k of the first one's followers.
      expect(counts[0]).toBeGreaterThan(1.5 * (counts[1] ?? 0));
      expect(counts[1]).toBeGreaterThan(1.5 * (counts[3] ?? 0));
      expect(counts[0]).toBeGreaterThan(5 * (counts[9] ?? 0));
      const [busiestMember] = await target.rows(
        `select count(*) as n from follows join users on users.id = follows.followee_id where users.role = 'member'
         group by follows.followee_id order by count(*) desc limit 1`,
      );
      expect(counts[0]).toBeGreaterThan(2 * Number(busiestMember?.n ?? 0));
    } finally {
      await target.dispose();
    }
  });
});

describe('seed timestamps', () => {
  it('are formatted exactly as Date#toISOString formats them', () => {
    const samples = [0, 86_399_999, 951_782_400_000, 1_640_995_200_000, 1_751_328_000_000 - 1];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (const ms of samples) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('the seed command', () => {
  function capture(isTTY: boolean) {
    const written: string[] = [];
    return { written, stream: { isTTY, columns: 100, write: (text: string) => written.push(text) } };
  }

  it('prints one plain summary line when not on a terminal', async () => {
    const stdout = capture(false);
    const stderr = capture(false);
    const dir = mkdtempSync(join(tmpdir(), 'paceline-seed-cli-'));
    try {
      const summary = await seedCommand(`sqlite:${join(dir, 'cli.db')}`, { users: '50', 'workouts-per-user': '2', classes: '5', seed: '3' }, { stdout: stdout.stream, stderr: stderr.stream });
      expect(stderr.written).toEqual([]);
      expect(stdout.written).toHaveLength(1);
      expect(stdout.written[0]).toMatch(
        new RegExp(`^Seeded 50 members \\(1 instructors, \\d+ private, \\d+ hidden from leaderboards, \\d+ suspended\\), ${summary.follows} follows, ${summary.pendingRequests} pending requests, ${summary.blocks} blocks, 5 classes and 100 workouts in \\d+\\.\\d s \\(seed 3\\)\\.\\n$`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws a progress bar on a terminal, then clears it', async () => {
    const stdout = capture(false);
    const stderr = capture(true);
    const dir = mkdtempSync(join(tmpdir(), 'paceline-seed-cli-'));
    try {
      await seedCommand(`sqlite:${join(dir, 'cli.db')}`, { users: '20', 'workouts-per-user': '1', classes: '1' }, { stdout: stdout.stream, stderr: stderr.stream });
      expect(stderr.written.length).toBeGreaterThan(1);
      expect(stderr.written[0]).toMatch(/^\rseeding members +\[[#-]+\] +\d+%/);
      expect(stderr.written.at(-1)).toBe('\r\x1b[K');
      expect(stdout.written[0]).toMatch(/^Seeded 20 members/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the progress line narrower than the terminal', () => {
    for (const columns of [20, 40, 80, 200]) {
      const line = progressLine({ phase: 'workouts', done: 123_456, total: 1_000_000 }, 12.3, columns);
      expect(line.length).toBeLessThan(columns);
    }
    expect(progressLine({ phase: 'follows', done: 50, total: 100 }, 1, 100)).toBe('seeding follows  [###############---------------]  50%   50/100 members  1.0 s');
  });

  it('checks its flags before opening any database', () => {
    expect(parseSeedFlags({ users: '1000' })).toEqual({ users: 1000, workoutsPerUser: 10, followsPerUser: 10, classes: 200, seed: 1 });
    expect(parseSeedFlags({ users: '5', 'workouts-per-user': '0', 'follows-per-user': '3', classes: '0', seed: '4294967295' })).toEqual({
      users: 5,
      workoutsPerUser: 0,
      followsPerUser: 3,
      classes: 0,
      seed: 4294967295,
    });
    for (const flags of [{}, { users: '0' }, { users: '1e5' }, { users: ' 7' }, { users: '-3' }, { users: '10', seed: '4294967296' }, { users: '10', classes: 'many' }]) {
      expect(() => parseSeedFlags(flags)).toThrow(UsageError);
    }
  });
});
