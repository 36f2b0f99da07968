import { type AuditClientOptions, type AuditRequest, type AuditResponse, createAuditClient, retryAfterSeconds } from '../http-client.js';

/**
 * Wrong passwords sent at once. More than any limit the sequential phase can observe (it stops
 * after 12 attempts), so a throttle that judges them all has let more through than it allows
 * one at a time.
 */
export const burstAttempts = 20;

/** The longest Retry-After the burst waits out on the refused account. */
export const maxBurstWaitSeconds = 30;

/**
 * Added to the wait the target asked for: a Retry-After rounded down, or a clock a little
 * behind, would otherwise meet a throttle that is still closed.
 */
const waitMarginMs = 250;

/** Where the burst goes: the refused account after its wait, or another account that shares the login. */
export interface BurstPlan {
  identity: string;
  /** A fresh wrong-password request for each attempt. */
  request: () => AuditRequest;
  waitSeconds?: number;
}

export type BurstOutcome =
  | { kind: 'sent'; identity: string; judged: number; refused: number; statuses: string; waitedSeconds?: number; sample: AuditRequest; requests: number }
  | { kind: 'skipped'; reason: string };

/**
 * Chooses the burst's target once one-at-a-time attempts were refused (`refusal`). Waiting out a
 * short Retry-After on the same account tests the throttle right where it reopens; a long one is
 * not waited for, and another identity's account that logs in the same way is used instead.
 */
export function planBurst(
  refusal: AuditResponse,
  refused: { identity: string; request: () => AuditRequest },
  others: { identity: string; request: () => AuditRequest }[],
): BurstPlan | { skip: string } {
  const wait = retryAfterSeconds(refusal);
  if (wait !== undefined && wait <= maxBurstWaitSeconds) return { ...refused, waitSeconds: wait };
  const other = others[0];
  if (other) return other;
  const why = wait === undefined ? 'the refusal named no Retry-After to wait for' : `the target asks for a wait of ${wait} s (the auditor waits at most ${maxBurstWaitSeconds} s)`;
  return { skip: `${why} and no other identity logs in the same way` };
}

/**
 * Sends the burst through a client of its own: all attempts in flight together, which the
 * default concurrency of the audit would prevent. An explicit --concurrency or --rate below the
 * burst's size is a promise to the target, so the burst is skipped instead.
 */
export async function sendBurst(options: AuditClientOptions, budgetLeft: number, plan: BurstPlan): Promise<BurstOutcome> {
  if (options.concurrency !== undefined && options.concurrency < burstAttempts) return { kind: 'skipped', reason: `it needs --concurrency ${burstAttempts} or more` };
  if (options.rate !== undefined && options.rate < burstAttempts) return { kind: 'skipped', reason: `it needs --rate ${burstAttempts} or more` };
  if (budgetLeft < burstAttempts) return { kind: 'skipped', reason: 'request budget exhausted' };
  const { rate: _rate, ...rest } = options;
  const client = createAuditClient({ ...rest, allowWrites: true, allowDestructive: false, retryThrottled: false, concurrency: burstAttempts, maxRequests: burstAttempts });
  if (plan.waitSeconds !== undefined) await new Promise((resolve) => setTimeout(resolve, plan.waitSeconds! * 1000 + waitMarginMs));
  const requests = Array.from({ length: burstAttempts }, () => plan.request());
  // Every request is started before any answer is awaited: the attempts reach the target together.
  const settled = await Promise.allSettled(requests.map((request) => client.send('anonymous', request)));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  const answers = settled.map((s) => (s as PromiseFulfilledResult<AuditResponse>).value);
  const judged = answers.filter(wasJudged);
  const outcome: BurstOutcome = {
    kind: 'sent',
    identity: plan.identity,
    judged: judged.length,
    refused: answers.filter(refusedForNow).length,
    statuses: [...new Set(judged.map((a) => a.status))].join('/'),
    sample: requests[0] as AuditRequest,
    requests: client.requestsMade(),
  };
  if (plan.waitSeconds !== undefined) outcome.waitedSeconds = plan.waitSeconds;
  return outcome;
}

export function refusedForNow(answer: AuditResponse): boolean {
  return answer.status === 429 || answer.headers['retry-after'] !== undefined;
}

/** Answered as an ordinary failure: the password was checked. A 5xx says nothing either way. */
function wasJudged(answer: AuditResponse): boolean {
  return !refusedForNow(answer) && answer.status < 500;
}
