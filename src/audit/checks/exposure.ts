import { type Check, owaspFor, redactSecret } from '../report-model.js';
import { type AuditContext, isAdmin, methodBlocked, reportOperation, reported, reportedAnyOwner, setCell, setCoverage } from './context.js';
import { leaves, looksSensitive, servedData } from './evidence.js';
import type { Operation } from '../spec.js';

/**
 * API3: every answer served to identity B is scanned for identity A's canaries and for
 * sensitive-looking fields holding A's own values (as A's "me" answers showed them). Admins are
 * entitled to see others' data; public-by-design fields never count.
 */
export function checkExposure(ctx: AuditContext): void {
  checkPasswords(ctx);
  const publicFields = new Set(ctx.identities.publicFields);
  const emitted = new Set<string>();
  const owners = ctx.identities.identities.filter((i) => i.credential.kind !== 'none');
  const identifying = identifyingValues(ctx);
  for (const exchange of ctx.exchanges) {
    const caller = ctx.identities.identities.find((i) => i.name === exchange.identity);
    if (!caller || isAdmin(caller) || !servedData(exchange.response)) continue;
    const found = leaves(exchange.response.json).filter((l) => looksSensitive(l.key) && !publicFields.has(l.key));
    for (const owner of owners.filter((o) => o.name !== caller.name)) {
      const canary = owner.canaries.find((c) => exchange.response.bodyText.includes(c));
      const values = identifying.get(owner.name) ?? [];
      const field = found.find((l) => values.some((v) => v.key === l.key && v.value === l.value));
      if (!canary && !field) continue;
      setCell(ctx, exchange.op, caller.name, 'leaked');
      // The same leak already reported as BOLA or missing authentication is not a second finding.
      if (['bola', 'data-exposure'].some((check) => reported(ctx, check as Check, exchange.op, owner.name, caller.name)) || reportedAnyOwner(ctx, 'no-auth', exchange.op, caller.name)) continue;
      const key = `${exchange.op.method} ${exchange.op.path}\u0000${owner.name}\u0000${caller.name}`;
      if (emitted.has(key)) continue;
      emitted.add(key);
      const what = [canary ? `canary ${redactSecret(canary)}` : '', field ? `${field.key}=${redactSecret(field.value)}` : ''].filter(Boolean).join(' and ');
      ctx.findings.push({
        check: 'data-exposure',
        owasp: owaspFor('data-exposure'),
        severity: canary ? 'high' : 'medium',
        operation: reportOperation(exchange.op),
        owner: owner.name,
        caller: caller.name,
        title: `${exchange.op.method} ${exchange.op.path} shows ${owner.name}'s private data to ${caller.name}`,
        evidence: `${exchange.response.status}; body contains ${owner.name}'s ${what}`,
        curl: ctx.client.curlFor(caller.name, exchange.request),
      });
    }
  }
  const scanned = new Set(ctx.exchanges.map((e) => e.op));
  for (const op of ctx.operations) {
    setCoverage(ctx, op, 'data-exposure', scanned.has(op) ? 'tested' : (methodBlocked(ctx, op) ?? 'skipped: no response was collected'));
  }
}

/**
 * Per identity, the sensitive values of its own that single it out: long enough to be no
 * coincidence (an e-mail, a birthday, a phone number, not a weight of 61 or a gender) and held by
 * no other identity. Otherwise one member's own profile would "expose" another's gender.
 */
function identifyingValues(ctx: AuditContext): Map<string, { key: string; value: string }[]> {
  const holders = new Map<string, Set<string>>();
  for (const [identity, values] of ctx.harvest.sensitive) {
    for (const v of values) holders.set(`${v.key}\u0000${v.value}`, (holders.get(`${v.key}\u0000${v.value}`) ?? new Set()).add(identity));
  }
  const identifying = new Map<string, { key: string; value: string }[]>();
  for (const [identity, values] of ctx.harvest.sensitive) {
    identifying.set(
      identity,
      values.filter((v) => v.value.length >= 6 && !/^\d{1,5}(\.\d+)?$/.test(v.value) && holders.get(`${v.key}\u0000${v.value}`)?.size === 1),
    );
  }
  return identifying;
}

/** Property names of a password or its hash: neither should ever leave the server, not even to its owner. */
const passwordKeys = /^(password|passwd|pwd|password_?hash|hashed_?password|pass(word)?_?digest|encrypted_?password)$/i;

/** A password or password hash in any answer, to anyone: one finding per operation. */
function checkPasswords(ctx: AuditContext): void {
  const emitted = new Set<Operation>();
  for (const exchange of ctx.exchanges) {
    if (!servedData(exchange.response)) continue;
    const leaf = leaves(exchange.response.json).find((l) => passwordKeys.test(l.key) && l.value.length >= 3 && !/^(true|false|null)$/.test(l.value));
    if (!leaf) continue;
    // Every identity that got one is marked in the matrix; the finding is made once.
    setCell(ctx, exchange.op, exchange.identity, 'leaked');
    if (emitted.has(exchange.op)) continue;
    emitted.add(exchange.op);
    ctx.findings.push({
      check: 'data-exposure',
      owasp: owaspFor('data-exposure'),
      severity: 'high',
      operation: reportOperation(exchange.op),
      caller: exchange.identity,
      title: `${exchange.op.method} ${exchange.op.path} returns a ${leaf.key} field`,
      evidence: `${exchange.response.status}; body has ${leaf.path}=${redactSecret(leaf.value)}`,
      curl: ctx.client.curlFor(exchange.identity, exchange.request),
    });
  }
}
