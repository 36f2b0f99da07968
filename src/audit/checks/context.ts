import type { AuditClient, AuditRequest, AuditResponse, SendMeta } from '../http-client.js';
import { BudgetExhausted, RequestRefused } from '../http-client.js';
import type { IdentitiesFile, Identity } from '../identities.js';
import type { Check, CoverageValue, Finding, MatrixCell, Operation as ReportOperation } from '../report-model.js';
import { propertiesOf } from '../sample.js';
import type { Operation } from '../spec.js';

/** One object reference found in a response, attributed to the identity that owns it. */
export interface HarvestedObject {
  /** What the value identifies, normalized: `user`, `workout`, `username`... (see references.ts). */
  kind: string;
  value: string;
  owner: string;
  /** The operation whose answer showed it: a list that can confirm it still exists. */
  source?: Operation;
  /** Made by the auditor itself (with --allow-writes): the objects changed or deleted first. */
  created?: boolean;
  /** Values only this object holds (the strings the auditor wrote into what it created). */
  canaries?: string[];
}

/** A create the auditor sent while harvesting, kept so mass assignment can repeat it. */
export interface Creation {
  op: Operation;
  identity: string;
  request: AuditRequest;
  response: AuditResponse;
  /** The new object's id, when the answer or its Location header gave one. */
  id?: string;
}

export interface Harvest {
  objects: HarvestedObject[];
  /** Per identity, sensitive-looking values from its own "me"-style answers. */
  sensitive: Map<string, { key: string; value: string }[]>;
  /** Per identity, values that name it (its id, username, email from "me"): owner fields are matched against them. */
  selves: Map<string, Set<string>>;
  creations: Creation[];
}

/** One answer the auditor received, kept so the exposure check can scan everything afterwards. */
export interface Exchange {
  op: Operation;
  identity: string;
  request: AuditRequest;
  response: AuditResponse;
}

export interface AuditContext {
  client: AuditClient;
  /** The base URL everything is sent to, as given. */
  target: string;
  identities: IdentitiesFile;
  /** The operations selected by --include/--exclude. */
  operations: readonly Operation[];
  /** Every operation of the spec, selected or not. */
  specOperations: readonly Operation[];
  allowWrites: boolean;
  allowDestructive: boolean;
  harvest: Harvest;
  exchanges: Exchange[];
  findings: Omit<Finding, 'id'>[];
  coverage: Map<Operation, Partial<Record<Check, CoverageValue>>>;
  cells: Map<Operation, Map<string, MatrixCell>>;
  /** Set once the request budget is spent; later probes are skipped, not failed. */
  exhausted: boolean;
  /** Requests sent through clients of their own (the login-throttling check's), for the report's total. */
  otherRequests: number;
  tick: () => void;
}

const cellRank: Record<MatrixCell, number> = { untested: 0, denied: 1, allowed: 2, leaked: 3 };

/** A cell only ever moves towards the worse outcome: one leak is enough to mark it. */
export function setCell(ctx: AuditContext, op: Operation, identity: string, cell: MatrixCell): void {
  const row = ctx.cells.get(op);
  if (!row) return;
  const current = row.get(identity) ?? 'untested';
  if (cellRank[cell] > cellRank[current]) row.set(identity, cell);
}

export function setCoverage(ctx: AuditContext, op: Operation, check: Check, value: CoverageValue): void {
  const row = ctx.coverage.get(op);
  if (row) row[check] = value;
}

/**
 * Sends through the shared client. A refused request (safety rule) or a spent budget yields
 * undefined so the caller can record coverage; network and login failures propagate (exit 2).
 */
export async function call(
  ctx: AuditContext,
  op: Operation | undefined,
  identity: string,
  request: AuditRequest,
  meta: SendMeta = {},
): Promise<AuditResponse | undefined> {
  if (ctx.exhausted) return undefined;
  try {
    // The client refuses what looks destructive unless --allow-destructive: the op's name decides.
    const response = await ctx.client.send(identity, request, op && looksDestructive(op) ? { ...meta, destructive: true } : meta);
    if (op) ctx.exchanges.push({ op, identity, request, response });
    return response;
  } catch (error) {
    if (error instanceof BudgetExhausted) {
      ctx.exhausted = true;
      return undefined;
    }
    if (error instanceof RequestRefused) return undefined;
    throw error;
  }
}

export function reportOperation(op: Operation): ReportOperation {
  return { method: op.method, path: op.path, operationId: op.operationId };
}

export function isAdmin(identity: Identity): boolean {
  return identity.role.toLowerCase() === 'admin';
}

export function isSafeMethod(method: string): boolean {
  return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * Operations whose names say they destroy or reset something, or end the credentials the audit
 * runs on (logout, revoke, password changes): only sent with --allow-destructive.
 */
const destructiveWords = /(delete|remove|reset|drop|purge|wipe|destroy|truncate|erase|createdb|logout|log-out|signout|sign-out|revoke|password|deactivate|terminate|shutdown|restart)/i;

export function looksDestructive(op: Operation): boolean {
  return op.method === 'DELETE' || destructiveWords.test(op.path) || destructiveWords.test(op.operationId);
}

/** A login: an identity's login recipe, or named like one. Never replayed with made-up passwords. */
export function isLogin(ctx: AuditContext, op: Operation): boolean {
  if (/log-?in|sign-?in/i.test(op.path) || /log-?in|sign-?in/i.test(op.operationId)) return true;
  return ctx.identities.identities.some((i) => i.credential.kind === 'login' && i.credential.login.path === op.path && i.credential.login.method === op.method);
}

const registrationWords = /regist|sign-?up|create-?account|join/i;

/** A sign-up: a POST to a collection named like one, whose body carries a password. */
export function isRegistration(op: Operation): boolean {
  if (op.method !== 'POST' || op.parameters.some((p) => p.in === 'path')) return false;
  if (!registrationWords.test(op.path) && !registrationWords.test(op.operationId)) return false;
  return Object.keys(propertiesOf(op.requestBody?.schema)).some((name) => /pass|pwd/i.test(name));
}

/** Why an operation's method cannot be sent under the current flags, or undefined if it can. */
export function methodBlocked(ctx: AuditContext, op: Operation): CoverageValue | undefined {
  if (looksDestructive(op) && !ctx.allowDestructive) return 'skipped: needs --allow-destructive';
  if (!isSafeMethod(op.method) && !ctx.allowWrites) return 'skipped: needs --allow-writes';
  return undefined;
}

/** Whether a finding of this check already names this operation, owner and caller. */
export function reported(ctx: AuditContext, check: Check, op: Operation, owner: string | undefined, caller: string): boolean {
  return ctx.findings.some(
    (f) => f.check === check && f.operation.method === op.method && f.operation.path === op.path && f.owner === owner && f.caller === caller,
  );
}

/** Whether a finding of this check already names this operation and caller, whoever the owner. */
export function reportedAnyOwner(ctx: AuditContext, check: Check, op: Operation, caller: string): boolean {
  return ctx.findings.some((f) => f.check === check && f.operation.method === op.method && f.operation.path === op.path && f.caller === caller);
}
