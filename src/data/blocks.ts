import type { Kysely } from 'kysely';
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

/**
 * Blocks. A member may block anyone they can see (or has already blocked: blocking is
 * idempotent); blocking ends follows and requests both ways in the same transaction.
 * The block list is the one place a blocked member still appears, to the blocker alone,
 * so that the block can be undone.
 */
export function createBlocksRepository(db: Kysely<DB>, viewer: Viewer, lockPair: PairLock, memberLocks: MemberLocks) {
  const visible = userVisibleTo(viewer);

  return {
    async block(targetId: string): Promise<boolean> {
      const me = requireMember(viewer).userId;
      if (targetId === me) throw new AppError('validation_failed', { detail: 'You cannot block yourself.', errors: [{ path: '/userId', message: 'is your own id' }] });
      return db.transaction().execute(async (trx) => {
        // Under the pair's lock: a follow of the same two members cannot slip in between the
        // check below and the deletion of their edges.
        await lockPair(trx, me, targetId);
        await memberLocks.edges(trx, me, targetId);
        const target = await trx
          .selectFrom('users')
          .select('users.id')
          .where('users.id', '=', targetId)
          .where('users.status', '=', 'active')
          .where((eb) =>
            eb.or([
              visible(eb),
              eb.exists(eb.selectFrom('blocks').select('blocks.blocked_id').where('blocks.blocker_id', '=', me).whereRef('blocks.blocked_id', '=', 'users.id')),
            ]),
          )
          .executeTakeFirst();
        if (!target) return false;
        await trx
          .insertInto('blocks')
          .values({ blocker_id: me, blocked_id: targetId, created_at: nowIso() })
          .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
          .execute();
        const ended = await trx
          .deleteFrom('follows')
          .where((eb) =>
            eb.or([
              eb.and([eb('follower_id', '=', me), eb('followee_id', '=', targetId)]),
              eb.and([eb('follower_id', '=', targetId), eb('followee_id', '=', me)]),
            ]),
          )
          .returning(['follower_id', 'followee_id', 'state'])
          .execute();
        for (const edge of ended) if (edge.state === 'approved') await countEdge(trx, edge.follower_id, edge.followee_id, -1);
        return true;
      });
    },

    async unblock(targetId: string): Promise<boolean> {
      const me = requireMember(viewer).userId;
      const result = await db.deleteFrom('blocks').where('blocker_id', '=', me).where('blocked_id', '=', targetId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async list(page: PageRequest): Promise<Page<UserCard>> {
      const me = requireMember(viewer).userId;
      return cardPage(
        db
          .selectFrom('blocks')
          .innerJoin('users', 'users.id', 'blocks.blocked_id')
          .select(cardColumns)
          .where('blocks.blocker_id', '=', me)
          .where('users.status', '=', 'active'),
        page,
      );
    },
  };
}

export type BlocksRepository = ReturnType<typeof createBlocksRepository>;

