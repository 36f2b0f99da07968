import { type Kysely, sql } from 'kysely';
import { userVisibleTo } from '../authz/user-visibility.js';
import type { Viewer } from '../authz/viewer.js';
import type { DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import { nowIso } from '../ids.js';
import { countEdge } from './follow-counters.js';
import type { MemberLocks } from './member-locks.js';
import type { PairLock } from './pair-lock.js';
import type { Page, PageRequest } from './pagination.js';
import { requireMember } from '../authz/require-viewer.js';
import { type UserCard, cardColumns, cardPage } from './views.js';

export type FollowState = 'following' | 'requested';

/**
 * The social graph as one member changes it. Every write names the viewer as one side of the edge
 * and carries the other member's visibility rule in the same statement, so a write never touches
 * an edge the viewer could not see. Zero rows changed answers "absent" (404).
 */
export function createFollowsRepository(db: Kysely<DB>, viewer: Viewer, lockPair: PairLock, memberLocks: MemberLocks) {
  const visible = userVisibleTo(viewer);

  return {
    /** Follows `targetId`: approved at once for a public profile, a pending request for a private one. */
    async follow(targetId: string): Promise<FollowState | null> {
      const me = requireMember(viewer).userId;
      if (targetId === me) throw new AppError('validation_failed', { detail: 'You cannot follow yourself.', errors: [{ path: '/userId', message: 'is your own id' }] });
      return db.transaction().execute(async (trx) => {
        // Decided under the pair's lock, so a block of the same two members is either fully
        // before (the rule below sees it) or fully after (it deletes this edge).
        await lockPair(trx, me, targetId);
        await memberLocks.edges(trx, me, targetId);
        const inserted = await trx
          .insertInto('follows')
          .columns(['follower_id', 'followee_id', 'state', 'created_at'])
          .expression((eb) =>
            eb
              .selectFrom('users')
              .select((s) => [
                sql<string>`cast(${me} as text)`.as('follower_id'),
                'users.id',
                s.case().when('users.privacy_profile', '=', 'public').then(sql<string>`'approved'`).else(sql<string>`'pending'`).end().as('state'),
                sql<string>`cast(${nowIso()} as text)`.as('created_at'),
              ])
              .where('users.id', '=', targetId)
              .where(visible),
          )
          .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
          .returning('state')
          .executeTakeFirst();
        // Only an edge this statement made counts: an existing one was counted when it was made.
        if (inserted?.state === 'approved') await countEdge(trx, me, targetId, 1);
        const edge = await trx
          .selectFrom('follows')
          .innerJoin('users', 'users.id', 'follows.followee_id')
          .select('follows.state')
          .where('follows.follower_id', '=', me)
          .where('follows.followee_id', '=', targetId)
          .where(visible)
          .executeTakeFirst();
        if (!edge) return null;
        return edge.state === 'approved' ? 'following' : 'requested';
      });
    },

    /** Ends a follow or withdraws a request. Idempotent for a visible member; absent otherwise. */
    async unfollow(targetId: string): Promise<boolean> {
      const me = requireMember(viewer).userId;
      if (targetId === me) throw new AppError('validation_failed', { detail: 'You cannot unfollow yourself.', errors: [{ path: '/userId', message: 'is your own id' }] });
      return db.transaction().execute(async (trx) => {
        const target = await trx.selectFrom('users').select('users.id').where('users.id', '=', targetId).where(visible).executeTakeFirst();
        if (!target) return false;
        await memberLocks.edges(trx, me, targetId);
        const removed = await trx.deleteFrom('follows').where('follower_id', '=', me).where('followee_id', '=', targetId).returning('state').executeTakeFirst();
        if (removed?.state === 'approved') await countEdge(trx, me, targetId, -1);
        return true;
      });
    },

    async incomingRequests(page: PageRequest): Promise<Page<UserCard>> {
      const me = requireMember(viewer).userId;
      return cardPage(
        db
          .selectFrom('follows')
          .innerJoin('users', 'users.id', 'follows.follower_id')
          .select(cardColumns)
          .where('follows.followee_id', '=', me)
          .where('follows.state', '=', 'pending')
          .where(visible),
        page,
      );
    },

    async approve(followerId: string): Promise<boolean> {
      const me = requireMember(viewer).userId;
      return db.transaction().execute(async (trx) => {
        await memberLocks.edges(trx, me, followerId);
        const approved = await trx
          .updateTable('follows')
          .set({ state: 'approved' })
          .where('followee_id', '=', me)
          .where('follower_id', '=', followerId)
          .where('state', '=', 'pending')
          .where((eb) => eb.exists(eb.selectFrom('users').select('users.id').whereRef('users.id', '=', 'follows.follower_id').where(visible)))
          .returning('follower_id')
          .executeTakeFirst();
        if (!approved) return false;
        await countEdge(trx, followerId, me, 1);
        return true;
      });
    },

    async deny(followerId: string): Promise<boolean> {
      return removeEdge(followerId, 'pending');
    },

    async removeFollower(followerId: string): Promise<boolean> {
      return removeEdge(followerId, 'approved');
    },
  };

  /** Deny (a pending request, which counts for no one) or remove an approved follower. */
  async function removeEdge(followerId: string, state: 'pending' | 'approved'): Promise<boolean> {
    const me = requireMember(viewer).userId;
    return db.transaction().execute(async (trx) => {
      if (state === 'approved') await memberLocks.edges(trx, me, followerId);
      const removed = await trx
        .deleteFrom('follows')
        .where('followee_id', '=', me)
        .where('follower_id', '=', followerId)
        .where('state', '=', state)
        .where((eb) => eb.exists(eb.selectFrom('users').select('users.id').whereRef('users.id', '=', 'follows.follower_id').where(visible)))
        .returning('state')
        .executeTakeFirst();
      if (!removed) return false;
      if (removed.state === 'approved') await countEdge(trx, followerId, me, -1);
      return true;
    });
  }
}

export type FollowsRepository = ReturnType<typeof createFollowsRepository>;
