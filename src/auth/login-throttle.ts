/**
 * Login throttling (API2/API4): consecutive failures per login name and failures per client
 * address each open a waiting period that doubles with every further failure, capped, and
 * forgotten after a quiet window. Nothing ever locks an account for good (that would hand
 * attackers a way to lock members out); a correct login while a wait is running is still
 * refused, so guessing cannot continue through the wait.
 *
 * An attempt is counted as a failure the moment it is let through, before the slow password
 * check runs, and given back only when it succeeds. Checking and counting is one synchronous
 * step, so a burst of concurrent guesses is judged against the limit one by one: of 40 guesses
 * sent at once, only as many as the limit allows ever reach the password check.
 */
export interface ThrottlePolicy {
  /** Failures answered normally; the attempt after the last of them is refused (429). */
  freeFailures: number;
  firstWaitMs: number;
  maxWaitMs: number;
  /** Failures older than this, counted from the latest one, are forgotten. */
  windowMs: number;
}

export const accountPolicy: ThrottlePolicy = { freeFailures: 5, firstWaitMs: 2_000, maxWaitMs: 15 * 60_000, windowMs: 15 * 60_000 };
export const addressPolicy: ThrottlePolicy = { freeFailures: 49, firstWaitMs: 2_000, maxWaitMs: 15 * 60_000, windowMs: 15 * 60_000 };

interface Entry {
  /** Attempts let through and not given back: failures, and attempts still being judged. */
  failures: number;
  lastFailureAt: number;
}

export interface Throttle {
  /** Milliseconds to wait before `key` may try again, or 0. */
  waitMs(key: string): number;
  /**
   * Counts an attempt as a failure in advance. Call it in the same synchronous step as the
   * `waitMs` check that allowed it, before any await.
   */
  count(key: string): void;
  /** Gives back one counted attempt that turned out not to be a failure. */
  release(key: string): void;
  /** Forgets `key` entirely (a successful login ends a run of consecutive failures). */
  reset(key: string): void;
}

/** How many of the oldest entries one insertion looks at to find one it may forget. */
const evictionScan = 64;

/**
 * An in-process throttle. Its memory is bounded: past `capacity` keys, the oldest key whose wait
 * is over is forgotten. A key that is waiting is never forgotten (flooding the table with fresh
 * names must not reset a victim's wait); when every key looked at is waiting, a new key is
 * refused for now rather than remembered past the bound, so the throttle fails closed.
 */
export function createThrottle(policy: ThrottlePolicy, now: () => number = Date.now, capacity = 100_000): Throttle {
  const entries = new Map<string, Entry>();

  function waitOf(entry: Entry): number {
    const excess = entry.failures - policy.freeFailures;
    if (excess < 0) return 0;
    const until = entry.lastFailureAt + Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** excess);
    return Math.max(0, until - now());
  }

  function current(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry && now() - entry.lastFailureAt > policy.windowMs && waitOf(entry) === 0) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Makes room for one more key; false when every key looked at is still waiting. */
  function makeRoom(): boolean {
    let looked = 0;
    for (const [key, entry] of entries) {
      if (entries.size < capacity) return true;
      if (looked++ >= evictionScan) return false;
      entries.delete(key);
      // A waiting key goes back in at the newest end, so the next look starts past it.
      if (waitOf(entry) > 0) entries.set(key, entry);
    }
    return entries.size < capacity;
  }

  return {
    waitMs(key) {
      const entry = current(key);
      if (entry) return waitOf(entry);
      return makeRoom() ? 0 : policy.firstWaitMs;
    },
    count(key) {
      const entry = current(key) ?? { failures: 0, lastFailureAt: 0 };
      entry.failures += 1;
      entry.lastFailureAt = now();
      // Most recently counted last, so the oldest quiet keys are the ones forgotten first.
      entries.delete(key);
      entries.set(key, entry);
    },
    release(key) {
      const entry = entries.get(key);
      if (!entry) return;
      entry.failures -= 1;
      if (entry.failures <= 0) entries.delete(key);
    },
    reset(key) {
      entries.delete(key);
    },
  };
}

/** A fixed-window counter, used to limit registrations per client address. */
export interface RateLimiter {
  /** Counts one hit; returns 0 when allowed, else the milliseconds until the window resets. */
  hit(key: string): number;
}

export function createRateLimiter(limit: number, windowMs: number, now: () => number = Date.now, capacity = 100_000): RateLimiter {
  const windows = new Map<string, { count: number; resetsAt: number }>();
  return {
    hit(key) {
      let window = windows.get(key);
      if (!window || now() >= window.resetsAt) {
        window = { count: 0, resetsAt: now() + windowMs };
        windows.delete(key);
        windows.set(key, window);
        if (windows.size > capacity) windows.delete(windows.keys().next().value as string);
      }
      window.count += 1;
      return window.count > limit ? window.resetsAt - now() : 0;
    },
  };
}
