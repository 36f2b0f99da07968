import type { UserViewer } from '../authz/viewer.js';
import type { AccountStore } from '../data/accounts.js';
import type { RequestContext } from '../data/request-context.js';
import type { UserCard, UserSelf } from '../data/views.js';
import { AppError } from '../errors.js';
import { type RateLimiter, type Throttle, accountPolicy, addressPolicy, createRateLimiter, createThrottle } from './login-throttle.js';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { looksLikeSecret } from './tokens.js';

export interface AuthOptions {
  /** Registrations allowed per client address per hour. */
  registrationsPerHour?: number;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: UserCard;
}

const genericFailure = () => new AppError('invalid_credentials', { detail: 'The login or password is wrong.' });

function rateLimited(waitMs: number): AppError {
  return new AppError('rate_limited', { detail: 'Too many attempts; try again later.', retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
}

/**
 * Authentication: registration, login with throttling, bearer-secret resolution, password change,
 * logout and account erasure. It owns the account store; route handlers only see this service.
 */
export function createAuthService(accounts: AccountStore, options: AuthOptions = {}) {
  const accountThrottle: Throttle = createThrottle(accountPolicy);
  const addressThrottle: Throttle = createThrottle(addressPolicy);
  const registrations: RateLimiter = createRateLimiter(options.registrationsPerHour ?? 20, 3600_000);

  function newPasswordOrThrow(password: string, personal: string[], path: string): void {
    const problem = passwordProblem(password, personal);
    if (problem) throw new AppError('validation_failed', { detail: `The password ${problem}.`, errors: [{ path, message: problem }] });
  }

  /**
   * Re-checks a signed-in member's password (password change, account deletion). Wrong answers
   * count against the same per-account throttle as logins, so a stolen session cannot be used
   * to guess the password at full speed.
   */
  async function checkOwnPassword(viewer: UserViewer, password: string, path: string): Promise<void> {
    const key = `user:${viewer.userId}`;
    const wait = accountThrottle.waitMs(key);
    if (wait > 0) throw rateLimited(wait);
    const stored = await accounts.passwordHashOf(viewer.userId);
    if (!stored || !(await verifyPassword(stored, password))) {
      accountThrottle.recordFailure(key);
      throw new AppError('validation_failed', { detail: 'The password is wrong.', errors: [{ path, message: 'is wrong' }] });
    }
  }

  return {
    async register(input: { username: string; email: string; password: string; displayName?: string | undefined }, context: RequestContext): Promise<UserSelf> {
      const wait = registrations.hit(context.ip ?? 'unknown');
      if (wait > 0) throw rateLimited(wait);
      newPasswordOrThrow(input.password, [input.username, input.email.split('@')[0] ?? ''], '/password');
      const id = await accounts.register({ ...input, passwordHash: await hashPassword(input.password) }, context.ip);
      const user = await accounts.selfView(id);
      if (!user) throw new AppError('internal');
      return user;
    },

    async login(input: { login: string; password: string }, context: RequestContext): Promise<LoginResult> {
      const addressKey = context.ip ?? 'unknown';
      const addressWait = addressThrottle.waitMs(addressKey);
      if (addressWait > 0) throw rateLimited(addressWait);
      const candidate = await accounts.findForLogin(input.login);
      // Unknown logins are throttled under their own name, exactly like accounts, so the
      // throttle's answers do not reveal which logins exist.
      const accountKey = candidate ? `user:${candidate.id}` : `login:${input.login.trim().toLowerCase()}`;
      const accountWait = accountThrottle.waitMs(accountKey);
      if (accountWait > 0) throw rateLimited(accountWait);
      const passwordMatches = await verifyPassword(candidate?.passwordHash ?? (await dummyPasswordHash()), input.password);
      if (!candidate || !passwordMatches) {
        accountThrottle.recordFailure(accountKey);
        addressThrottle.recordFailure(addressKey);
        await accounts.recordEvent({ type: 'login.failed', subjectId: candidate?.id ?? null, ip: context.ip });
        throw genericFailure();
      }
      accountThrottle.reset(accountKey);
      // Only someone who knows the password learns that the account is suspended.
      if (candidate.status !== 'active') throw new AppError('account_suspended', { detail: 'This account is suspended.' });
      const session = await accounts.startSession(candidate.id, context.userAgent, context.ip);
      const user = await accounts.card(candidate.id);
      if (!user) throw genericFailure();
      return { token: session.secret, expiresAt: session.expiresAt, user };
    },

    /**
     * The viewer a bearer secret stands for, or null when it is malformed, unknown, expired,
     * revoked or its member is suspended. The caller answers 401 for null: a bad token is
     * never treated as "no token".
     */
    async authenticate(secret: string): Promise<UserViewer | null> {
      if (!looksLikeSecret(secret)) return null;
      return accounts.resolveCredential(secret);
    },

    async changePassword(viewer: UserViewer, input: { currentPassword: string; newPassword: string }, context: RequestContext, personal: string[]): Promise<void> {
      await checkOwnPassword(viewer, input.currentPassword, '/currentPassword');
      newPasswordOrThrow(input.newPassword, personal, '/newPassword');
      await accounts.changePassword(viewer, await hashPassword(input.newPassword), context.ip);
    },

    logout: (viewer: UserViewer, context: RequestContext) => accounts.endSession(viewer, context.ip),

    async deleteAccount(viewer: UserViewer, password: string, context: RequestContext): Promise<void> {
      await checkOwnPassword(viewer, password, '/password');
      await accounts.deleteAccount(viewer, context.ip);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
