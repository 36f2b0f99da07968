import type { Kysely, Updateable } from 'kysely';
import { selfRule } from '../authz/user-visibility.js';
import type { Viewer } from '../authz/viewer.js';
import type { DB, Gender, UsersTable } from '../db/schema.js';
import { notFound } from '../errors.js';
import { nowIso } from '../ids.js';
import type { RequestContext } from './request-context.js';
import { listSecurityEvents, recordSecurityEvent, toMemberActivity } from './security-events.js';
import type { UsersRepository } from './users.js';
import { requireMember } from '../authz/require-viewer.js';
import { toWorkout } from './workouts.js';
import type { PrivacySettings, UserSelf } from './views.js';

/** The writable part of the self view. Anything else in a PATCH is rejected by the route schema. */
export interface SelfPatch {
  displayName?: string;
  bio?: string | null;
  location?: string | null;
  birthday?: string | null;
  gender?: Gender | null;
  weightKg?: number | null;
  heightCm?: number | null;
  privacy?: Partial<PrivacySettings>;
}

function toColumns(patch: SelfPatch): Updateable<UsersTable> {
  const set: Updateable<UsersTable> = {};
  if (patch.displayName !== undefined) {
    set.display_name = patch.displayName;
    set.display_name_key = patch.displayName.toLowerCase();
  }
  if (patch.bio !== undefined) set.bio = patch.bio;
  if (patch.location !== undefined) set.location = patch.location;
  if (patch.birthday !== undefined) set.birthday = patch.birthday;
  if (patch.gender !== undefined) set.gender = patch.gender;
  if (patch.weightKg !== undefined) set.weight_kg = patch.weightKg;
  if (patch.heightCm !== undefined) set.height_cm = patch.heightCm;
  const privacy = patch.privacy ?? {};
  if (privacy.profile !== undefined) set.privacy_profile = privacy.profile;
  if (privacy.searchable !== undefined) set.privacy_searchable = privacy.searchable ? 1 : 0;
  if (privacy.leaderboard !== undefined) set.privacy_leaderboard = privacy.leaderboard;
  if (privacy.defaultWorkoutVisibility !== undefined) set.privacy_default_workout_visibility = privacy.defaultWorkoutVisibility;
  return set;
}

/** The member's own account: profile and privacy updates and the data export. */
export function createMeRepository(db: Kysely<DB>, viewer: Viewer, users: UsersRepository, context: RequestContext) {
  return {
    async update(patch: SelfPatch): Promise<UserSelf | null> {
      const me = requireMember(viewer).userId;
      const set = toColumns(patch);
      if (Object.keys(set).length > 0) {
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('users').set({ ...set, updated_at: nowIso() }).where(selfRule(viewer)).execute();
          if (patch.privacy && Object.keys(patch.privacy).length > 0) {
            await recordSecurityEvent(trx, { type: 'profile.privacy_changed', actorId: me, subjectId: me, ip: context.ip, details: { ...patch.privacy } });
          }
        });
      }
      return users.self();
    },

    /** Everything held about the member (GDPR art. 15/20). Other members appear by id only. */
    async export() {
      const me = requireMember(viewer).userId;
      const [self, account, credentials, following, followers, blocks, workouts, events] = await Promise.all([
        users.self(),
        db.selectFrom('users').select(['status', 'updated_at']).where(selfRule(viewer)).executeTakeFirst(),
        db.selectFrom('credentials').select(['id', 'kind', 'name', 'scopes', 'user_agent', 'created_at', 'last_used_at', 'expires_at']).where('user_id', '=', me).orderBy('id').execute(),
        db.selectFrom('follows').select(['followee_id as userId', 'state', 'created_at as createdAt']).where('follower_id', '=', me).orderBy('followee_id').execute(),
        db.selectFrom('follows').select(['follower_id as userId', 'state', 'created_at as createdAt']).where('followee_id', '=', me).orderBy('follower_id').execute(),
        db.selectFrom('blocks').select(['blocked_id as userId', 'created_at as createdAt']).where('blocker_id', '=', me).orderBy('blocked_id').execute(),
        db.selectFrom('workouts').selectAll().where('user_id', '=', me).orderBy('started_at', 'desc').orderBy('id', 'desc').execute(),
        listSecurityEvents(db, { subjectId: me }, { limit: 10_000 }),
      ]);
      if (!self) throw notFound();
      return {
        exportedAt: nowIso(),
        user: self,
        account: { status: account?.status ?? 'active', updatedAt: account?.updated_at ?? null },
        credentials: credentials.map((c) => ({
          id: c.id,
          kind: c.kind,
          name: c.name,
          scopes: c.scopes.split(' ').filter(Boolean),
          userAgent: c.user_agent,
          createdAt: c.created_at,
          lastUsedAt: c.last_used_at,
          expiresAt: c.expires_at,
        })),
        following,
        followers,
        blocks,
        workouts: workouts.map(toWorkout),
        securityActivity: events.items.map(toMemberActivity),
      };
    },
  };
}

export type MeRepository = ReturnType<typeof createMeRepository>;
export type DataExport = Awaited<ReturnType<MeRepository['export']>>;
