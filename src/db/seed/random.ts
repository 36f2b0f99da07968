/**
 * Counter-based randomness for the seed. Every entity (a member, a class, one member's follows,
 * one member's workouts) draws from its own stream, keyed by (seed, stream kind, index). So a
 * row depends only on the seed and its index, never on batch sizes, phase order or the dialect,
 * and a later, parallel seeder can generate any slice of the data on its own.
 */

/** Chris Wellons' lowbias32: full avalanche and a bijection on 32-bit integers. */
export function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of three words; distinct inputs almost never meet. */
export function hash32(a: number, b: number, c: number): number {
  return mix32(mix32(mix32(a) ^ b) + c);
}

/** Stream kinds, so a member's profile and the same member's follows never share draws. */
export const streamKind = {
  member: 1,
  blocks: 2,
  follows: 3,
  workouts: 4,
  classes: 5,
  identifiers: 6,
  instructors: 7,
} as const;

/**
 * A stream of random numbers: sfc32 (Chris Doty-Humphrey's small fast counting generator).
 * 128 bits of state, so the streams of millions of entities do not overlap as they would with a
 * 32-bit state, and only additions, shifts and xors, so it is fast in JavaScript. A class rather
 * than a closure factory because hundreds of thousands are made per run: methods on a prototype
 * cost nothing per stream.
 */
export class Stream {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(key: number) {
    this.a = mix32(key ^ 0x9e3779b9);
    this.b = mix32(key ^ 0x243f6a88);
    this.c = mix32(key ^ 0xb7e15162);
    // The author's recommended warm-up, so nearby keys have diverged before the first draw.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** 32 random bits as an unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [low, high], both included. */
  int(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1));
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + this.float() * (high - low);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }
}

/** The stream of one entity: a member's profile, one member's follows, a class, … */
export function createStream(seed: number, kind: number, index: number): Stream {
  return new Stream(hash32(seed, kind, index));
}

/** A weighted choice among fixed options, with its cumulative table built once. */
export function weighted<T>(options: readonly (readonly [T, number])[]): (stream: Stream) => T {
  const total = options.reduce((sum, [, weight]) => sum + weight, 0);
  let running = 0;
  const thresholds = options.map(([, weight]) => (running += weight / total));
  const values = options.map(([value]) => value);
  const last = values.length - 1;
  return function choose(stream) {
    const u = stream.float();
    let i = 0;
    while (i < last && u >= (thresholds[i] as number)) i++;
    return values[i] as T;
  };
}
