import { checkBfla } from './checks/bfla.js';
import { checkBola } from './checks/bola.js';
import { checkBolaWrites } from './checks/bola-writes.js';
import { checkMassAssignment } from './checks/mass-assignment.js';
import { checkRegistration } from './checks/registration.js';
import type { AuditContext } from './checks/context.js';
import { checkExposure } from './checks/exposure.js';
import { checkLoginThrottling } from './checks/login-throttling.js';
import { harvest } from './harvest.js';
import { type AuditClientOptions, createAuditClient } from './http-client.js';
import type { IdentitiesFile } from './identities.js';
import { checkNoAuth } from './checks/no-auth.js';
import { type AuditReport, CHECKS, type Finding, type MatrixCell, severityRank } from './report-model.js';
import { type ApiSpec, matchesPattern } from './spec.js';

export interface RunAuditOptions {
  spec: ApiSpec;
  target: string;
  identities: IdentitiesFile;
  allowWrites?: boolean;
  allowDestructive?: boolean;
  concurrency?: number;
  rate?: number;
  maxRequests?: number;
  include?: string[];
  exclude?: string[];
  onProgress?: (done: number, total: number) => void;
  fetch?: typeof fetch;
}

/** Runs every check against the target and returns the contract's report model. */
export async function runAudit(options: RunAuditOptions): Promise<AuditReport> {
  const started = Date.now();
  const clientOptions: AuditClientOptions = {
    target: options.target,
    identities: options.identities,
    allowWrites: options.allowWrites ?? false,
    allowDestructive: options.allowDestructive ?? false,
  };
  if (options.concurrency !== undefined) clientOptions.concurrency = options.concurrency;
  if (options.rate !== undefined) clientOptions.rate = options.rate;
  if (options.maxRequests !== undefined) clientOptions.maxRequests = options.maxRequests;
  if (options.fetch !== undefined) clientOptions.fetch = options.fetch;
  const client = createAuditClient(clientOptions);
  const operations = options.spec.operations.filter(
    (op) =>
      (options.include === undefined || options.include.length === 0 || options.include.some((p) => matchesPattern(op, p))) &&
      !(options.exclude ?? []).some((p) => matchesPattern(op, p)),
  );
  const names = options.identities.identities.map((i) => i.name);
  const phases = [
    (ctx: AuditContext) => checkBola(ctx),
    (ctx: AuditContext) => checkBfla(ctx, 'read'),
    (ctx: AuditContext) => checkBolaWrites(ctx, 'change'),
    (ctx: AuditContext) => checkBfla(ctx, 'write'),
    (ctx: AuditContext) => checkMassAssignment(ctx),
    (ctx: AuditContext) => checkRegistration(ctx, clientOptions),
    // What looks destructive goes last: nothing after it needs the objects it may remove.
    (ctx: AuditContext) => checkBolaWrites(ctx, 'delete'),
    (ctx: AuditContext) => checkBfla(ctx, 'delete'),
  ];
  // One tick per operation in each of no-auth, BOLA, BFLA and mass assignment, one for harvesting and one for login throttling.
  const total = operations.length * 4 + 2;
  let done = 0;
  const ctx: AuditContext = {
    client,
    target: options.target,
    identities: options.identities,
    operations,
    specOperations: options.spec.operations,
    allowWrites: options.allowWrites ?? false,
    allowDestructive: options.allowDestructive ?? false,
    harvest: { objects: [], sensitive: new Map(), selves: new Map(), creations: [] },
    exchanges: [],
    findings: [],
    coverage: new Map(operations.map((op) => [op, {}])),
    cells: new Map(operations.map((op) => [op, new Map<string, MatrixCell>()])),
    exhausted: false,
    otherRequests: 0,
    tick: () => options.onProgress?.(++done, total),
  };
  ctx.harvest = await harvest(ctx);
  ctx.tick();
  await checkNoAuth(ctx);
  for (const phase of phases) await phase(ctx);
  checkExposure(ctx);
  await checkLoginThrottling(ctx, clientOptions);
  ctx.tick();
  options.onProgress?.(total, total);

  const order = (f: Omit<Finding, 'id'>) => [severityRank(f.severity), CHECKS.indexOf(f.check)] as const;
  const findings = [...ctx.findings]
    .sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1])
    .map((f, index) => ({ id: `F${index + 1}`, ...f }));
  return {
    version: 1,
    target: options.target,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    requests: client.requestsMade() + ctx.otherRequests,
    identities: names,
    findings,
    coverage: operations.map((op) => ({ operation: { method: op.method, path: op.path, operationId: op.operationId }, checks: ctx.coverage.get(op) ?? {} })),
    matrix: operations.map((op) => ({
      operation: { method: op.method, path: op.path, operationId: op.operationId },
      cells: Object.fromEntries(names.map((name) => [name, ctx.cells.get(op)?.get(name) ?? 'untested'])),
    })),
  };
}
