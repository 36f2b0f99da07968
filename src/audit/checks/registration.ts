import { type AuditClientOptions, type AuditRequest, type AuditResponse, BudgetExhausted, LoginFailed, createAuditClient } from '../http-client.js';
import type { Identity, LoginRecipe } from '../identities.js';
import { isSelfPath } from '../references.js';
import { owaspFor } from '../report-model.js';
import { propertiesOf, sampleRequestBody } from '../sample.js';
import type { Operation } from '../spec.js';
import { type AuditContext, call, isRegistration, looksDestructive, methodBlocked, reportOperation, setCell, setCoverage } from './context.js';
import { leaves, refused, servedData } from './evidence.js';
import { findItem } from './readback.js';
import { privilegedInjections } from './mass-assignment.js';
import { buildRequest } from './requests.js';

const passwordKey = /pass|pwd|secret/i;
const loginKey = /^(login|user(name)?|user_name|name|email|mail)$/i;

/**
 * Mass assignment at sign-up (API3, with --allow-writes), where it does the most harm: a new
 * account registered with `role: admin`, `isAdmin`, `verified`... added to the body, then signed
 * in through the identities' own login recipe and read back wherever it shows ("me" reads,
 * reads by username, list items) for the injected values. The login and the reads go through a
 * client of their own for the new account, within the request budget that is left.
 */
export async function checkRegistration(ctx: AuditContext, options: AuditClientOptions): Promise<void> {
  for (const op of ctx.operations.filter(isRegistration)) {
    const blocked = methodBlocked(ctx, op);
    if (blocked) {
      setCoverage(ctx, op, 'mass-assignment', blocked);
      continue;
    }
    const template = ctx.identities.identities.map(loginTemplate).find((t) => t !== undefined);
    if (!template) {
      setCoverage(ctx, op, 'mass-assignment', 'skipped: no identity has a login recipe to sign in as a new account');
      continue;
    }
    await probe(ctx, op, template, options);
  }
}

interface Template {
  recipe: LoginRecipe;
  body: Record<string, unknown>;
  loginField: string;
  passwordField: string;
}

function loginTemplate(identity: Identity): Template | undefined {
  if (identity.credential.kind !== 'login') return undefined;
  const recipe = identity.credential.login;
  if (recipe.body.kind === 'none' || typeof recipe.body.value !== 'object' || recipe.body.value === null) return undefined;
  const body = recipe.body.value as Record<string, unknown>;
  const loginField = Object.keys(body).find((k) => loginKey.test(k));
  const passwordField = Object.keys(body).find((k) => passwordKey.test(k));
  return loginField && passwordField ? { recipe, body, loginField, passwordField } : undefined;
}

async function probe(ctx: AuditContext, op: Operation, template: Template, options: AuditClientOptions): Promise<void> {
  const schema = op.requestBody?.schema;
  const declaredNames = Object.keys(propertiesOf(schema));
  const injected = privilegedInjections(schema, undefined);
  const declared = Object.fromEntries(Object.entries(injected).filter(([name]) => declaredNames.includes(name)));
  let attempt = await register(ctx, op, injected);
  if (attempt?.refused && Object.keys(declared).length > 0 && Object.keys(declared).length < Object.keys(injected).length) {
    attempt = await register(ctx, op, declared);
  }
  if (!attempt) return setCoverage(ctx, op, 'mass-assignment', 'skipped: request budget exhausted');
  setCoverage(ctx, op, 'mass-assignment', 'tested');
  setCell(ctx, op, 'anonymous', attempt.refused ? 'denied' : 'allowed');
  if (attempt.refused) return;
  const reads = await readAsNewAccount(ctx, template, attempt.body, options);
  // Without a read as the new account, the sign-up answer is evidence only if it is more than an echo.
  const sent = attempt.request.json as Record<string, unknown>;
  const echo = attempt.response.json !== undefined && leaves(attempt.response.json).every((l) => l.key in sent);
  const evidence = reads.length > 0 ? reads : echo ? [] : [attempt.response.json];
  const stuck = Object.entries(attempt.sent).filter(([name, value]) => evidence.some((r) => holds(r, name, value)));
  if (stuck.length === 0) return;
  setCell(ctx, op, 'anonymous', 'leaked');
  ctx.findings.push({
    check: 'mass-assignment',
    owasp: owaspFor('mass-assignment'),
    severity: 'high',
    operation: reportOperation(op),
    caller: 'anonymous',
    title: `a new account sets ${stuck.map(([name]) => name).join(', ')} for itself through ${op.method} ${op.path}`,
    evidence: `${attempt.response.status}; ${reads.length > 0 ? 'read back as the new account' : 'in the sign-up answer'}: ${stuck.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}`,
    curl: ctx.client.curlFor('anonymous', attempt.request),
  });
}

async function register(ctx: AuditContext, op: Operation, injected: Record<string, unknown>) {
  const body = sampleRequestBody(op) as Record<string, unknown>;
  const request = { method: op.method, path: op.path, json: { ...body, ...injected } };
  const response = await call(ctx, op, 'anonymous', request);
  if (!response) return undefined;
  const failed = response.status < 200 || response.status >= 300 || refused(response);
  return { refused: failed, body, sent: injected, request, response };
}

/**
 * Reads the new account back: signed in as it (anonymously when it cannot sign in, e.g. before an
 * e-mail confirmation), through every "me" read, every read taking a username, and every list,
 * where the item naming the new account is what counts.
 */
async function readAsNewAccount(ctx: AuditContext, template: Template, registered: Record<string, unknown>, options: AuditClientOptions): Promise<unknown[]> {
  const login = Object.keys(registered).find((k) => loginKey.test(k) && /mail/i.test(k) === /mail/i.test(template.loginField)) ?? Object.keys(registered).find((k) => loginKey.test(k));
  const password = Object.keys(registered).find((k) => passwordKey.test(k));
  if (login === undefined || password === undefined) return [];
  const name = String(registered[login]);
  const value = { ...template.body, [template.loginField]: registered[login], [template.passwordField]: registered[password] };
  const body = template.recipe.body.kind === 'form' ? { kind: 'form' as const, value: value as Record<string, string> } : { kind: 'json' as const, value };
  const account: Identity = { name: 'new-account', role: 'member', credential: { kind: 'login', login: { ...template.recipe, body } }, owns: {}, canaries: [] };
  const anonymous = ctx.identities.identities.find((i) => i.credential.kind === 'none') as Identity;
  const left = (options.maxRequests ?? Number.POSITIVE_INFINITY) - ctx.client.requestsMade() - ctx.otherRequests;
  const client = createAuditClient({
    ...options,
    allowWrites: false,
    allowDestructive: false,
    ...(Number.isFinite(left) ? { maxRequests: Math.max(0, left) } : {}),
    identities: { version: 1, identities: [anonymous, account], publicFields: [] },
  });
  const reads = ctx.operations.filter((op) => op.method === 'GET' && !looksDestructive(op));
  const found: unknown[] = [];
  let caller = account.name;
  const read = async (request: AuditRequest, item?: string): Promise<void> => {
    let response: AuditResponse;
    try {
      response = await client.send(caller, request);
    } catch (error) {
      if (!(error instanceof LoginFailed) || caller === anonymous.name) throw error;
      caller = anonymous.name;
      response = await client.send(caller, request);
    }
    if (!servedData(response)) return;
    const json = item === undefined ? response.json : findItem(response.json, item);
    if (json !== undefined) found.push(json);
  };
  try {
    for (const op of reads.filter((o) => !o.parameters.some((p) => p.in === 'path'))) await read(buildRequest(ctx, op), isSelfPath(op) ? undefined : name);
    for (const op of reads) {
      const path = op.parameters.filter((p) => p.in === 'path');
      if (path.length === 1 && path[0] && /^(user(name)?|login|name|email)$/i.test(path[0].name.replace(/[^a-z]/gi, ''))) {
        await read(buildRequest(ctx, op, { [path[0].name]: name }));
      }
    }
  } catch (error) {
    if (!(error instanceof BudgetExhausted) && !(error instanceof LoginFailed)) throw error;
  } finally {
    ctx.otherRequests += client.requestsMade();
  }
  return found;
}

function holds(json: unknown, name: string, value: unknown): boolean {
  const found = leaves(json).filter((l) => l.key === name).map((l) => l.value);
  return (Array.isArray(value) ? value.map(String) : [String(value)]).every((w) => found.includes(w));
}
