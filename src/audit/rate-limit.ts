/**
 * The two throttles of the audit client: a semaphore bounding requests in flight and a limiter
 * spacing request starts. Both are shared by every identity, because the target sees one client.
 */

/** At most `limit` tasks run at once; the rest wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    // The slot passes straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}

/**
 * Spaces request starts at least 1/rate seconds apart. Spacing rather than a bucket with bursts:
 * an API under audit should never see more than `rate` requests in any one-second window.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;

  /** `rate` in requests per second; undefined means unlimited. */
  constructor(rate: number | undefined) {
    this.intervalMs = rate === undefined ? 0 : 1000 / rate;
  }

  async wait(): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = Date.now();
    // Slots are reserved synchronously, so concurrent callers each get their own.
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}
