import { randomBytes } from 'node:crypto';
import { type AuditClientOptions, type AuditRequest, type AuditResponse, BudgetExhausted, createAuditClient } from '../http-client.js';
import type { LoginRecipe } from '../identities.js';
import { owaspFor } from '../report-model.js';
import { type AuditContext, setCoverage } from './context.js';

/** Failed logins sent per login recipe: past common limits (5-10), still small. */
export const loginAttempts = 12;

/**
 * API2/API4: wrong-password logins for each distinct login recipe (JSON or form). Sent through a
 * client of its own that allows only these POSTs (the contract counts them as part of auditing)
 * and whose budget is what the main client has left. Runs last, and stops at the first 429 or
 * Retry-After: throttling is then proven, and the identity's account is locked for as short a
 * time as the target allows.
 */
export async function checkLoginThrottling(ctx: AuditContext, options: AuditClientOptions): Promise<void> {
  const recipes = new Map<string, { identity: string; request: AuditRequest }>();
  for (const identity of ctx.identities.identities) {
    if (identity.credential.kind !== 'login') continue;
    const login = identity.credential.login;
    const key = `${login.method} ${login.path}`;
    const request = recipes.has(key) ? undefined : wrongPassword(login);
    if (request) recipes.set(key, { identity: identity.name, request });
  }
  for (const [key, { identity, request }] of recipes) {
    const op = ctx.operations.find((o) => `${o.method} ${o.path}` === key);
    // A login the spec has but --include/--exclude left out is not hammered either.
    if (!op && ctx.specOperations.some((o) => `${o.method} ${o.path}` === key)) continue;
    const left = (options.maxRequests ?? Number.POSITIVE_INFINITY) - ctx.client.requestsMade() - ctx.otherRequests;
    const client = createAuditClient({ ...options, allowWrites: true, allowDestructive: false, retryThrottled: false, maxRequests: Math.max(0, Math.min(loginAttempts, left)) });
    const answers: AuditResponse[] = [];
    try {
      for (let i = 0; i < loginAttempts && !answers.some(refusedForNow); i++) answers.push(await client.send('anonymous', request));
    } catch (error) {
      if (!(error instanceof BudgetExhausted)) throw error;
    } finally {
      ctx.otherRequests += client.requestsMade();
    }
    const complete = answers.length === loginAttempts || answers.some(refusedForNow);
    if (op) setCoverage(ctx, op, 'login-throttling', complete ? 'tested' : 'skipped: request budget exhausted');
    if (!complete || throttled(answers)) continue;
    const statuses = [...new Set(answers.map((a) => a.status))].join('/');
    ctx.findings.push({
      check: 'login-throttling',
      owasp: owaspFor('login-throttling'),
      severity: 'medium',
      operation: op ? { method: op.method, path: op.path, operationId: op.operationId } : { method: request.method, path: request.path },
      owner: identity,
      caller: 'anonymous',
      title: `${key} accepts ${loginAttempts} wrong passwords for ${identity} without throttling`,
      evidence: `${loginAttempts} failed logins answered ${statuses}; no 429, no Retry-After, no growing delay`,
      curl: client.curlFor('anonymous', request),
    });
  }
}

/** The recipe's request with its password-like field replaced by a wrong one; undefined when it has none. */
function wrongPassword(login: LoginRecipe): AuditRequest | undefined {
  if (login.body.kind === 'none' || typeof login.body.value !== 'object' || login.body.value === null) return undefined;
  const body = { ...(login.body.value as Record<string, unknown>) };
  const field = Object.keys(body).find((k) => /pass|secret|pwd|pin/i.test(k));
  if (!field) return undefined;
  body[field] = `wrong-${randomBytes(6).toString('hex')}`;
  const base = { method: login.method, path: login.path };
  return login.body.kind === 'form' ? { ...base, form: body as Record<string, string> } : { ...base, json: body };
}

function refusedForNow(answer: AuditResponse): boolean {
  return answer.status === 429 || answer.headers['retry-after'] !== undefined;
}

/** A 429, a Retry-After, or answers that slow down markedly (tarpitting) all count as throttling. */
function throttled(answers: AuditResponse[]): boolean {
  if (answers.some(refusedForNow)) return true;
  const average = (list: AuditResponse[]) => list.reduce((sum, a) => sum + a.durationMs, 0) / Math.max(1, list.length);
  const first = average(answers.slice(0, 3));
  const last = average(answers.slice(-3));
  return last > Math.max(first * 3, first + 500);
}
