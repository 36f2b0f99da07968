import type { Kysely } from 'kysely';
import { systemViewer, type Viewer } from '../authz/viewer.js';
import type { AccountStatus, DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import { nowIso } from '../ids.js';
import { shiftCounterparts } from './follow-counters.js';
import type { MemberLocks } from './member-locks.js';
import type { PageRequest } from './pagination.js';
import type { RequestContext } from './request-context.js';
import { type SecurityEventFilter, listSecurityEvents, recordSecurityEvent } from './security-events.js';
import { rotateSecurityStamp } from './security-stamps.js';
import { createUsersRepository, readSelfView } from './users.js';
import { requireAdmin } from '../authz/require-viewer.js';
import type { UserSelf } from './views.js';

export interface AdminUserView {
  user: UserSelf;
  status: AccountStatus;
}

/**
 * Administrative access to a member's data. The admin check is made here as well as at the route,
 * and every access states a reason that is written to the security log in the same operation and
 * shown to the member in their security activity.
 */
export function createAdminRepository(db: Kysely<DB>, viewer: Viewer, context: RequestContext, memberLocks: MemberLocks) {
  // Administrators see a member as the member sees themself; the system viewer is used only
  // after the admin check, for this one read.
  const unrestricted = () => createUsersRepository(db, systemViewer('administrator access with a recorded reason'));

  async function setStatus(userId: string, reason: string, status: AccountStatus): Promise<boolean> {
    const admin = requireAdmin(viewer);
    if (userId === admin.userId) throw new AppError('validation_failed', { detail: 'You cannot change your own account status.', errors: [{ path: '/userId', message: 'is your own id' }] });
    return db.transaction().execute(async (trx) => {
      // The member's edges stop or start counting for the members at their other ends, so no
      // edge of theirs may change meanwhile (member-locks.ts).
      await memberLocks.status(trx, userId);
      await memberLocks.counterparts(trx, userId);
      if (status === 'suspended') {
        // Uncounted while the member is still active; a member already suspended counts for no one.
        await shiftCounterparts(trx, userId, -1);
        // Suspension ends every session and token at once, not at their expiry: the new stamp
        // ends even a token another request is making right now, which would otherwise work
        // again after an unsuspension.
        if ((await rotateSecurityStamp(trx, userId, null, { status })) === null) return false;
        await trx.deleteFrom('credentials').where('user_id', '=', userId).execute();
      } else {
        // Counted again only when this statement is what made the member active.
        const lifted = await trx.updateTable('users').set({ status, updated_at: nowIso() }).where('id', '=', userId).where('status', '=', 'suspended').executeTakeFirst();
        if (lifted.numUpdatedRows > 0n) await shiftCounterparts(trx, userId, 1);
        else if (!(await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst())) return false;
      }
      await recordSecurityEvent(trx, {
        type: status === 'suspended' ? 'admin.user_suspended' : 'admin.user_unsuspended',
        actorId: admin.userId,
        actorRole: admin.role,
        subjectId: userId,
        reason,
        ip: context.ip,
      });
      return true;
    });
  }

  return {
    async getUser(userId: string, reason: string): Promise<AdminUserView | null> {
      const admin = requireAdmin(viewer);
      const users = unrestricted();
      const user = await readSelfView(users.profileRead, (eb) => eb('users.id', '=', userId));
      if (!user) return null;
      const account = await db.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirst();
      await recordSecurityEvent(db, { type: 'admin.user_viewed', actorId: admin.userId, actorRole: admin.role, subjectId: userId, reason, ip: context.ip });
      return { user, status: account?.status ?? 'active' };
    },

    suspend: (userId: string, reason: string) => setStatus(userId, reason, 'suspended'),

    unsuspend: (userId: string, reason: string) => setStatus(userId, reason, 'active'),

    events(filter: SecurityEventFilter, page: PageRequest) {
      requireAdmin(viewer);
      return listSecurityEvents(db, filter, page);
    },
  };
}

export type AdminRepository = ReturnType<typeof createAdminRepository>;
