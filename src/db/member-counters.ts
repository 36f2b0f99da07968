import { type Kysely, sql } from 'kysely';

/** The counter columns; a bulk load leaves them at their default 0 and recounts after. */
export type MemberCounterColumn = 'follower_count' | 'following_count' | 'workout_count_public' | 'workout_count_followers' | 'workout_count_only_me';

/**
 * The per-member counters behind the profile view's counts (see docs/design.md, "Counts"):
 * - `follower_count`: approved follows of the member by active members;
 * - `following_count`: approved follows by the member of active members;
 * - `workout_count_<visibility>`: the member's workouts of each visibility.
 * The data layer keeps them exact on every write; this recounts them from the rows, for the
 * migration that adds them and for bulk loads (the seed, benchmarks) that insert rows directly.
 *
 * One aggregate UPDATE per kind of counter, each a single grouped pass over its table joined to
 * members by primary key, so it needs no secondary index (the seed runs it while they are set
 * aside). Members with nothing to count are not touched: it runs where every counter is still
 * at its default 0 (a new column, a freshly loaded table).
 */
export async function recountMemberCounters(db: Kysely<any>): Promise<void> {
  await sql`
    update users set follower_count = c.n
    from (
      select f.followee_id as member_id, count(*) as n
      from follows f join users other on other.id = f.follower_id
      where f.state = 'approved' and other.status = 'active'
      group by f.followee_id
    ) as c
    where users.id = c.member_id`.execute(db);
  await sql`
    update users set following_count = c.n
    from (
      select f.follower_id as member_id, count(*) as n
      from follows f join users other on other.id = f.followee_id
      where f.state = 'approved' and other.status = 'active'
      group by f.follower_id
    ) as c
    where users.id = c.member_id`.execute(db);
  await sql`
    update users set
      workout_count_public = c.public_n,
      workout_count_followers = c.followers_n,
      workout_count_only_me = c.only_me_n
    from (
      select user_id as member_id,
        sum(case when visibility = 'public' then 1 else 0 end) as public_n,
        sum(case when visibility = 'followers' then 1 else 0 end) as followers_n,
        sum(case when visibility = 'only_me' then 1 else 0 end) as only_me_n
      from workouts
      group by user_id
    ) as c
    where users.id = c.member_id`.execute(db);
}
