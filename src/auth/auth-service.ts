import type { UserViewer } from '../authz/viewer.js';
import { type AccountStore, normalizeLogin } from '../data/accounts.js';
import type { RequestContext } from '../data/request-context.js';
import type { UserCard, UserSelf } from '../data/views.js';
import { AppError } from '../errors.js';
import { type RateLimiter, accountPolicy, addressPolicy, createRateLimiter, createThrottle } from './login-throttle.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
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

/** The throttle key of password re-checks by a signed-in member. */
const ownPasswordKey = (userId: string) => `user:${userId}`;

const genericFailure = () => new AppError('invalid_credentials', { detail: 'The login or password is wrong.' });

function rateLimited(waitMs: number): AppError {
  return new AppError('rate_limited', { detail: 'Too many attempts; try again later.', retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
}

/**
 * Authentication: registration, login with throttling, bearer-secret resolution, password change,
 * logout and account erasure. It owns the account store; route handlers only see this service.
 */
export function createAuthService(accounts: AccountStore, options: AuthOptions = {}) {
  const accountThrottle = createThrottle(accountPolicy);
  const addressThrottle = createThrottle(addressPolicy);
  const registrations: RateLimiter = createRateLimiter(options.registrationsPerHour ?? 20, 3600_000);

  function newPasswordOrThrow(password: string, personal: string[], path: string): void {
    const problem = passwordProblem(password, personal);
    if (problem) throw new AppError('validation_failed', { detail: `The password ${problem}.`, errors: [{ path, message: problem }] });
  }

  /**
   * Lets an attempt through both throttles or refuses it, in one synchronous step: the attempt
   * is counted before any await, so concurrent guesses cannot all pass the check first.
   */
  function admit(keys: { address?: string; login: string }): void {
    const wait = Math.max(keys.address === undefined ? 0 : addressThrottle.waitMs(keys.address), accountThrottle.waitMs(keys.login));
    if (wait > 0) throw rateLimited(wait);
    if (keys.address !== undefined) addressThrottle.count(keys.address);
    accountThrottle.count(keys.login);
  }

  /**
   * Re-checks a signed-in member's password (password change, account deletion). Wrong answers
   * count against the same throttle as logins, so a stolen session cannot be used to guess the
   * password at full speed.
   */
  async function checkOwnPassword(viewer: UserViewer, password: string, path: string): Promise<void> {
    const key = ownPasswordKey(viewer.userId);
    admit({ login: key });
    const stored = await accounts.passwordHashOf(viewer.userId);
    if (!(await verifyPassword(stored, password))) {
      throw new AppError('validation_failed', { detail: 'The password is wrong.', errors: [{ path, message: 'is wrong' }] });
    }
    accountThrottle.release(key);
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
      const address = context.ip ?? 'unknown';
      // Throttled by the text given, never by the account it names: a username and its e-mail
      // are separate names, exactly as two unknown logins are, so the throttle's answers cannot
      // tell which logins exist or which e-mail belongs to which username.
      const login = `login:${normalizeLogin(input.login)}`;
      admit({ address, login });
      const candidate = await accounts.findForLogin(input.login);
      // Wrong password re-checks from a signed-in session (which already knows the account) also
      // hold off logins to it. Logins never count there: that would link the login names again.
      const recheckWait = candidate ? accountThrottle.waitMs(ownPasswordKey(candidate.id)) : 0;
      if (recheckWait > 0) {
        accountThrottle.release(login);
        addressThrottle.release(address);
        throw rateLimited(recheckWait);
      }
      // Unknown logins and riders without a usable password pay the same argon2 work.
      const passwordMatches = await verifyPassword(candidate?.passwordHash, input.password);
      if (!candidate || !passwordMatches) {
        await accounts.recordEvent({ type: 'login.failed', subjectId: candidate?.id ?? null, ip: context.ip });
        throw genericFailure();
      }
      accountThrottle.reset(login);
      addressThrottle.release(address);
      // Only someone who knows the password learns that the account is suspended.
      if (candidate.status !== 'active') throw new AppError('account_suspended', { detail: 'This account is suspended.' });
      const session = await accounts.startSession(candidate, context.userAgent, context.ip);
      // The password changed between the check and the session: the old password is no longer good.
      if (!session) throw genericFailure();
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
      const changed = await accounts.changePassword(viewer, await hashPassword(input.newPassword), context.ip);
      // Another password change ended this session while the new password was being hashed.
      if (!changed) throw new AppError('unauthorized', { detail: 'The bearer token is malformed, expired or revoked.' });
    },

    logout: (viewer: UserViewer, context: RequestContext) => accounts.endSession(viewer, context.ip),

    async deleteAccount(viewer: UserViewer, password: string, context: RequestContext): Promise<void> {
      await checkOwnPassword(viewer, password, '/password');
      await accounts.deleteAccount(viewer, context.ip);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
