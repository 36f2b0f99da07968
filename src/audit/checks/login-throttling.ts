import { randomBytes } from 'node:crypto';
import { type AuditClientOptions, type AuditRequest, type AuditResponse, BudgetExhausted, createAuditClient } from '../http-client.js';
import type { LoginRecipe } from '../identities.js';
import { owaspFor } from '../report-model.js';
import type { Operation } from '../spec.js';
import { type AuditContext, setCoverage } from './context.js';
import { type BurstOutcome, burstAttempts, planBurst, refusedForNow, sendBurst } from './login-burst.js';

/** Failed logins sent per login recipe: past common limits (5-10), still small. */
export const loginAttempts = 12;

interface Account {
  identity: string;
  /** A new wrong password each call: some throttles count a repeated wrong password once. */
  request: () => AuditRequest;
}

/**
 * API2/API4: wrong-password logins for each distinct login recipe (JSON or form). Sent through
 * clients of their own that allow only these POSTs (the contract counts them as part of
 * auditing) and whose budget is what the main client has left. Runs last.
 *
 * First one at a time, stopping at the first 429 or Retry-After: the attempts judged before it
 * are the limit the target keeps. Then a burst of concurrent attempts (login-burst.ts): a
 * throttle that checks, awaits the slow password hash and only then records the failure lets
 * every attempt of a burst through, however well it refuses them one by one.
 */
export async function checkLoginThrottling(ctx: AuditContext, options: AuditClientOptions): Promise<void> {
  const recipes = new Map<string, Account[]>();
  for (const identity of ctx.identities.identities) {
    if (identity.credential.kind !== 'login') continue;
    const login = identity.credential.login;
    if (wrongPassword(login) === undefined) continue;
    const key = `${login.method} ${login.path}`;
    const accounts = recipes.get(key) ?? [];
    // Another account only: the same login fields would hit the throttle the first one filled.
    if (!accounts.some((a) => sameAccount(a.request(), wrongPassword(login)))) accounts.push({ identity: identity.name, request: () => wrongPassword(login) as AuditRequest });
    recipes.set(key, accounts);
  }
  for (const [key, [first, ...others]] of recipes) {
    if (!first) continue;
    const op = ctx.operations.find((o) => `${o.method} ${o.path}` === key);
    // A login the spec has but --include/--exclude left out is not hammered either.
    if (!op && ctx.specOperations.some((o) => `${o.method} ${o.path}` === key)) continue;
    const answers = await oneAtATime(ctx, options, first);
    const refusal = answers.findIndex(refusedForNow);
    if (refusal < 0 && answers.length < loginAttempts) {
      if (op) setCoverage(ctx, op, 'login-throttling', 'skipped: request budget exhausted');
      continue;
    }
    if (refusal < 0) {
      if (op) setCoverage(ctx, op, 'login-throttling', 'tested');
      if (!slowsDown(answers)) reportNoThrottle(ctx, op, key, first, answers, options);
      continue;
    }
    const plan = planBurst(answers[refusal] as AuditResponse, first, others);
    const burst: BurstOutcome = 'skip' in plan ? { kind: 'skipped', reason: plan.skip } : await sendBurst(options, budgetLeft(ctx, options), plan);
    if (burst.kind === 'sent') ctx.otherRequests += burst.requests;
    if (op) setCoverage(ctx, op, 'login-throttling', coverageOf(burst, refusal));
    if (burst.kind === 'sent' && burst.judged > allowedAfter(refusal)) reportBurst(ctx, op, key, first, burst, refusal, options);
  }
}

/** The sequential phase: up to `loginAttempts` wrong passwords, stopping at the first refusal. */
async function oneAtATime(ctx: AuditContext, options: AuditClientOptions, account: Account): Promise<AuditResponse[]> {
  const client = createAuditClient({ ...options, allowWrites: true, allowDestructive: false, retryThrottled: false, maxRequests: Math.min(loginAttempts, budgetLeft(ctx, options)) });
  const answers: AuditResponse[] = [];
  try {
    for (let i = 0; i < loginAttempts && !answers.some(refusedForNow); i++) answers.push(await client.send('anonymous', account.request()));
  } catch (error) {
    if (!(error instanceof BudgetExhausted)) throw error;
  } finally {
    ctx.otherRequests += client.requestsMade();
  }
  return answers;
}

function budgetLeft(ctx: AuditContext, options: AuditClientOptions): number {
  return Math.max(0, (options.maxRequests ?? Number.POSITIVE_INFINITY) - ctx.client.requestsMade() - ctx.otherRequests);
}

/**
 * How many attempts of a burst a sound throttle may judge, `limit` being those it judged one at
 * a time: no more than that on a fresh account or after a wait (a fixed window reopens whole, a
 * doubling wait lets one through), and at least one, since a wait that lets nothing through
 * would be a permanent lockout.
 */
function allowedAfter(limit: number): number {
  return Math.max(limit, 1);
}

function coverageOf(burst: BurstOutcome, limit: number): `skipped: ${string}` | 'tested' {
  const sequential = `one at a time, refused from attempt ${limit + 1}`;
  if (burst.kind === 'skipped') return burst.reason === 'request budget exhausted' ? 'skipped: request budget exhausted' : `skipped: no concurrent burst: ${burst.reason} (${sequential})`;
  // A burst refused whole met a throttle still closed: it shows nothing about concurrency.
  if (burst.judged === 0) return `skipped: every attempt of the concurrent burst was refused, so it shows nothing about concurrency (${sequential})`;
  return 'tested';
}

function reportNoThrottle(ctx: AuditContext, op: Operation | undefined, key: string, account: Account, answers: AuditResponse[], options: AuditClientOptions): void {
  const statuses = [...new Set(answers.map((a) => a.status))].join('/');
  const request = account.request();
  ctx.findings.push({
    check: 'login-throttling',
    owasp: owaspFor('login-throttling'),
    severity: 'medium',
    operation: op ? { method: op.method, path: op.path, operationId: op.operationId } : { method: request.method, path: request.path },
    owner: account.identity,
    caller: 'anonymous',
    title: `${key} accepts ${loginAttempts} wrong passwords for ${account.identity} without throttling`,
    evidence: `${loginAttempts} failed logins answered ${statuses}; no 429, no Retry-After, no growing delay`,
    curl: createAuditClient(options).curlFor('anonymous', request),
  });
}

function reportBurst(
  ctx: AuditContext,
  op: Operation | undefined,
  key: string,
  refused: Account,
  burst: Extract<BurstOutcome, { kind: 'sent' }>,
  limit: number,
  options: AuditClientOptions,
): void {
  const request = burst.sample;
  const sent = `a burst of ${burstAttempts} concurrent wrong passwords for ${burst.identity}`;
  const when = burst.waitedSeconds === undefined ? '' : `, sent after the ${burst.waitedSeconds} s wait the target asked for`;
  const whose = burst.identity === refused.identity ? '' : ` ${refused.identity}'s`;
  const bound = burst.waitedSeconds === undefined ? '' : `; after a wait a sound throttle judges at most ${allowedAfter(limit)}`;
  ctx.findings.push({
    check: 'login-throttling',
    owasp: owaspFor('login-throttling'),
    severity: 'medium',
    operation: op ? { method: op.method, path: op.path, operationId: op.operationId } : { method: request.method, path: request.path },
    owner: burst.identity,
    caller: 'anonymous',
    title: `${key} judges ${burst.judged} of ${burstAttempts} concurrent wrong passwords for ${burst.identity}, though one at a time it refuses from attempt ${limit + 1}`,
    evidence: `${sent}${when}: ${burst.judged} judged (${burst.statuses}), ${burst.refused} refused; one at a time the target refused${whose} from attempt ${limit + 1}${bound}`,
    curl: createAuditClient(options).curlFor('anonymous', request),
  });
}

/** The recipe's request with its password-like field replaced by a wrong one; undefined when it has none. */
function wrongPassword(login: LoginRecipe): AuditRequest | undefined {
  if (login.body.kind === 'none' || typeof login.body.value !== 'object' || login.body.value === null) return undefined;
  const body = { ...(login.body.value as Record<string, unknown>) };
  const field = passwordField(body);
  if (!field) return undefined;
  body[field] = `wrong-${randomBytes(6).toString('hex')}`;
  const base = { method: login.method, path: login.path };
  return login.body.kind === 'form' ? { ...base, form: body as Record<string, string> } : { ...base, json: body };
}

function passwordField(body: Record<string, unknown>): string | undefined {
  return Object.keys(body).find((k) => /pass|secret|pwd|pin/i.test(k));
}

/** Whether two wrong-password requests name the same account (every field but the password equal). */
function sameAccount(a: AuditRequest, b: AuditRequest | undefined): boolean {
  const fields = (request: AuditRequest | undefined) => {
    const body = { ...((request?.form ?? request?.json ?? {}) as Record<string, unknown>) };
    const field = passwordField(body);
    if (field) delete body[field];
    return JSON.stringify(body);
  };
  return fields(a) === fields(b);
}

/** Answers that slow down markedly (tarpitting) count as throttling too. */
function slowsDown(answers: AuditResponse[]): boolean {
  const average = (list: AuditResponse[]) => list.reduce((sum, a) => sum + a.durationMs, 0) / Math.max(1, list.length);
  const first = average(answers.slice(0, 3));
  const last = average(answers.slice(-3));
  return last > Math.max(first * 3, first + 500);
}
