/**
 * Login throttling (API2/API4): consecutive failures per account and failures per client address
 * each open a waiting period that doubles with every further failure, capped, and forgotten after
 * a quiet window. Nothing ever locks an account for good (that would hand attackers a way to lock
 * members out); a correct login while a wait is running is still refused, so guessing cannot
 * continue through the wait.
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
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export interface Throttle {
  /** Milliseconds to wait before `key` may try again, or 0. */
  waitMs(key: string): number;
  recordFailure(key: string): void;
  reset(key: string): void;
}

/** An in-process throttle. Entries are bounded (oldest dropped first) so a flood of keys cannot exhaust memory. */
export function createThrottle(policy: ThrottlePolicy, now: () => number = Date.now, capacity = 100_000): Throttle {
  const entries = new Map<string, Entry>();

  function current(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry && now() - entry.lastFailureAt > policy.windowMs && now() >= entry.blockedUntil) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    waitMs(key) {
      const entry = current(key);
      return entry ? Math.max(0, entry.blockedUntil - now()) : 0;
    },
    recordFailure(key) {
      const entry = current(key) ?? { failures: 0, lastFailureAt: 0, blockedUntil: 0 };
      entry.failures += 1;
      entry.lastFailureAt = now();
      // With 5 free failures, the 5th failure opens the first wait, so the 6th attempt is refused.
      const excess = entry.failures - policy.freeFailures;
      if (excess >= 0) {
        entry.blockedUntil = now() + Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** excess);
      }
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
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
