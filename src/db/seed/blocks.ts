import type { BlocksTable } from '../schema.js';
import { isoTimestamp } from './iso-time.js';
import { memberCreatedMs, memberId } from './members.js';
import { type Plan, calendar, proportions } from './plan.js';
import { createStream, streamKind } from './random.js';
import type { Columns, TableWriter } from './writer.js';

export const blockColumns = {
  blocker_id: 'text',
  blocked_id: 'text',
  created_at: 'text',
} as const satisfies Record<keyof BlocksTable, string> & Columns;

/** The blocked pairs, so the follows phase can leave them without an edge in either direction. */
export interface BlockSet {
  count: number;
  /** True when a has blocked b or b has blocked a. */
  between(a: number, b: number): boolean;
}

/**
 * A few members (proportions.blockers) each block one to three others, chosen at random. Blocks
 * are generated before follows because blocking ends follows and requests both ways: the follows
 * phase skips every blocked pair, so the data looks as if the blocks came last.
 */
export async function writeBlocks(plan: Plan, writer: TableWriter, progress: (done: number) => void): Promise<BlockSet> {
  // Pair keys a × users + b stay below 2^53 for up to 94 million members (seedLimits allow 50).
  const pairs = new Set<number>();
  for (let blocker = 0; blocker < plan.users; blocker++) {
    const s = createStream(plan.seed, streamKind.blocks, blocker);
    if (plan.users < 2 || !s.chance(proportions.blockers)) continue;
    const wanted = s.chance(0.7) ? 1 : s.int(2, 3);
    for (let n = 0; n < wanted; n++) {
      const blocked = s.int(0, plan.users - 1);
      const key = blocker * plan.users + blocked;
      if (blocked === blocker || pairs.has(key)) continue;
      pairs.add(key);
      const since = Math.max(memberCreatedMs(plan, blocker), memberCreatedMs(plan, blocked));
      const createdMs = since + Math.floor(s.float() * (calendar.now - since));
      const sent = writer.add([memberId(plan, blocker), memberId(plan, blocked), isoTimestamp(createdMs)]);
      if (sent) await sent;
    }
    if ((blocker & 0xffff) === 0) progress(blocker);
  }
  await writer.end();
  progress(plan.users);
  return {
    count: pairs.size,
    between: (a, b) => pairs.has(a * plan.users + b) || pairs.has(b * plan.users + a),
  };
}
