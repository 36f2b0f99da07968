import type { AuditClient, AuditRequest, AuditResponse, SendMeta } from '../http-client.js';
import { BudgetExhausted, RequestRefused } from '../http-client.js';
import type { IdentitiesFile, Identity } from '../identities.js';
import type { Check, CoverageValue, Finding, MatrixCell, Operation as ReportOperation } from '../report-model.js';
import type { Operation } from '../spec.js';

/** One object reference found in a response, attributed to the identity that owns it. */
export interface HarvestedObject {
  /** What the value identifies, normalized: `user`, `workout`, `username`... */
  kind: string;
  value: string;
  owner: string;
}

export interface Harvest {
  objects: HarvestedObject[];
  /** Per identity, sensitive-looking values from its own "me"-style answers. */
  sensitive: Map<string, { key: string; value: string }[]>;
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
  identities: IdentitiesFile;
  operations: readonly Operation[];
  allowWrites: boolean;
  allowDestructive: boolean;
  harvest: Harvest;
  exchanges: Exchange[];
  findings: Omit<Finding, 'id'>[];
  coverage: Map<Operation, Partial<Record<Check, CoverageValue>>>;
  cells: Map<Operation, Map<string, MatrixCell>>;
  /** Set once the request budget is spent; later probes are skipped, not failed. */
  exhausted: boolean;
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
    const response = await ctx.client.send(identity, request, meta);
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

/** Why an operation's method cannot be sent under the current flags, or undefined if it can. */
export function methodBlocked(ctx: AuditContext, op: Operation): CoverageValue | undefined {
  if (op.method === 'DELETE' && !ctx.allowDestructive) return 'skipped: needs --allow-destructive';
  if (!isSafeMethod(op.method) && !ctx.allowWrites) return 'skipped: needs --allow-writes';
  return undefined;
}
