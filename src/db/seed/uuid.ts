import { hash32, mix32, streamKind } from './random.js';

const byteHex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const nibbleHex = '0123456789abcdef';

function hex8(word: number): string {
  return byteHex[word >>> 24]! + byteHex[(word >>> 16) & 255]! + byteHex[(word >>> 8) & 255]! + byteHex[word & 255]!;
}

function hex4(half: number): string {
  return byteHex[(half >>> 8) & 255]! + byteHex[half & 255]!;
}

function hex3(bits: number): string {
  return nibbleHex[(bits >>> 8) & 15]! + byteHex[bits & 255]!;
}

/** Id spaces: one per table, so each table's ids are unique by construction. */
export const idSpace = { user: 1, class: 2, workout: 3 } as const;

/**
 * A UUIDv7 (RFC 9562) made from the seed instead of the clock and crypto: the 48-bit timestamp is
 * the row's own (synthetic) creation time, so ids sort by creation as the server's do, and the 74
 * "random" bits are hashes. The last 32 of them are a bijective hash of the row's index in its
 * table, so two rows of one table can never collide, whatever the seed; the rest only make the
 * id look as opaque as a real one.
 */
export function seededUuidV7(seed: number, space: number, index: number, createdMs: number): string {
  const unique = mix32((index ^ hash32(seed, streamKind.identifiers, space)) >>> 0);
  const noise = hash32(seed, space * 0x10000 + 1, index);
  const moreNoise = hash32(seed, space * 0x10000 + 2, index);
  const high = Math.floor(createdMs / 0x10000);
  const low = createdMs % 0x10000;
  const variant = 8 | ((noise >>> 12) & 3);
  return (
    `${hex8(high)}-${hex4(low)}-7${hex3(noise)}-${nibbleHex[variant]!}${hex3(noise >>> 14)}-` +
    `${hex4(moreNoise)}${hex8(unique)}`
  );
}

/**
 * A UUIDv4 made from the seed: every bit but the version and variant is a hash of the row's
 * index, as random-looking as the server's member and class ids, and carrying no time. The last
 * 32 bits are the same bijective hash as above, so two rows of one table never collide.
 */
export function seededUuidV4(seed: number, space: number, index: number): string {
  const unique = mix32((index ^ hash32(seed, streamKind.identifiers, space)) >>> 0);
  const noise = hash32(seed, space * 0x10000 + 1, index);
  const moreNoise = hash32(seed, space * 0x10000 + 2, index);
  const evenMore = seededUuidV4Lead(seed, space, index);
  const variant = 8 | ((noise >>> 12) & 3);
  return (
    `${hex8(evenMore)}-${hex4(moreNoise >>> 16)}-4${hex3(noise)}-${nibbleHex[variant]!}${hex3(noise >>> 14)}-` +
    `${hex4(moreNoise)}${hex8(unique)}`
  );
}

/** The first 32 bits of `seededUuidV4(seed, space, index)`: ids sort by it (ties aside). */
export function seededUuidV4Lead(seed: number, space: number, index: number): number {
  return hash32(seed, space * 0x10000 + 3, index);
}
