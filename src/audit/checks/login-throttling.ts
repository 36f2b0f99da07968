import { randomBytes } from 'node:crypto';
import { type AuditClientOptions, type AuditRequest, type AuditResponse, BudgetExhausted, createAuditClient } from '../http-client.js';
import { owaspFor } from '../report-model.js';
import { type AuditContext, setCoverage } from './context.js';

/** Failed logins sent per login recipe: past common limits (5-10), still small. */
export const loginAttempts = 12;

/**
 * API2/API4: wrong-password logins for each distinct login recipe. Sent through a client of its
 * own that allows only these POSTs (the contract counts them as part of auditing) and whose budget
 * is what the main client has left. Runs last: a throttled account cannot log in for a while.
 */
export async function checkLoginThrottling(ctx: AuditContext, options: AuditClientOptions): Promise<void> {
  const recipes = new Map<string, { identity: string; request: AuditRequest }>();
  for (const identity of ctx.identities.identities) {
    if (identity.credential.kind !== 'login') continue;
    const login = identity.credential.login;
    const key = `${login.method} ${login.path}`;
    if (recipes.has(key) || login.body.kind !== 'json' || typeof login.body.value !== 'object' || login.body.value === null) continue;
    const body = { ...(login.body.value as Record<string, unknown>) };
    const field = Object.keys(body).find((k) => /pass|secret|pwd/i.test(k));
    if (!field) continue;
    body[field] = `wrong-${randomBytes(6).toString('hex')}`;
    recipes.set(key, { identity: identity.name, request: { method: login.method, path: login.path, json: body } });
  }
  for (const [key, { identity, request }] of recipes) {
    const op = ctx.operations.find((o) => `${o.method} ${o.path}` === key);
    const left = (options.maxRequests ?? Number.POSITIVE_INFINITY) - ctx.client.requestsMade();
    const client = createAuditClient({ ...options, allowWrites: true, allowDestructive: false, maxRequests: Math.max(0, Math.min(loginAttempts, left)) });
    const answers: AuditResponse[] = [];
    try {
      for (let i = 0; i < loginAttempts; i++) answers.push(await client.send('anonymous', request));
    } catch (error) {
      if (!(error instanceof BudgetExhausted)) throw error;
    }
    if (op) setCoverage(ctx, op, 'login-throttling', answers.length === loginAttempts ? 'tested' : 'skipped: request budget exhausted');
    if (answers.length < loginAttempts || throttled(answers)) continue;
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

/** A 429, a Retry-After, or answers that slow down markedly (tarpitting) all count as throttling. */
function throttled(answers: AuditResponse[]): boolean {
  if (answers.some((a) => a.status === 429 || a.headers['retry-after'] !== undefined)) return true;
  const average = (list: AuditResponse[]) => list.reduce((sum, a) => sum + a.durationMs, 0) / Math.max(1, list.length);
  const first = average(answers.slice(0, 3));
  const last = average(answers.slice(-3));
  return last > Math.max(first * 3, first + 500);
}
