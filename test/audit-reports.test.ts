import { describe, expect, it } from 'vitest';
import {
  type AuditReport,
  type Finding,
  owaspFor,
  redactSecret,
} from '../src/audit/report-model.js';
import { renderReport } from '../src/audit/reports/index.js';

const evil = '<script>alert(1)</script>';

const getUser = { method: 'GET', path: '/users/{userId}', operationId: 'getUser' };
const listUsers = { method: 'GET', path: '/admin/users', operationId: 'adminListUsers' };
const patchUser = { method: 'PATCH', path: '/users/{userId}', operationId: 'updateUser' };
const hostile = { method: 'GET', path: `/x/${evil}`, operationId: 'hostile' };
const login = { method: 'POST', path: '/auth/login', operationId: 'login' };

function finding(over: Partial<Finding> & Pick<Finding, 'id' | 'check' | 'severity' | 'operation'>): Finding {
  return {
    owasp: owaspFor(over.check),
    caller: 'bob',
    title: `${over.check} on ${over.operation.path}`,
    evidence: '200',
    curl: 'curl -sS http://127.0.0.1:3000/x',
    ...over,
  };
}

/** The AUDIT.md example plus findings of every severity, a hostile operation and a login check. */
function sample(): AuditReport {
  return {
    version: 1,
    target: 'http://127.0.0.1:3000',
    startedAt: '2026-11-28T12:00:00Z',
    durationMs: 8123,
    requests: 1480,
    identities: ['anonymous', 'alice', 'bob', 'root'],
    findings: [
      finding({ id: 'F1', check: 'data-exposure', severity: 'medium', operation: getUser, owner: 'alice', caller: 'anonymous' }),
      finding({
        id: 'F2',
        check: 'bola',
        severity: 'high',
        operation: getUser,
        owner: 'alice',
        title: "bob reads alice's user through GET /users/{userId}",
        evidence: `200; body contains alice's canary ${redactSecret('CANARYBIO1a2b')} and 11/12 of the owner's fields`,
        curl: "curl -sS -H 'Authorization: Bearer <bob>' http://127.0.0.1:3000/users/0193…",
      }),
      finding({ id: 'F3', check: 'bfla', severity: 'critical', operation: listUsers, caller: 'alice' }),
      finding({ id: 'F4', check: 'no-auth', severity: 'low', operation: hostile, caller: 'anonymous', evidence: `body: ${evil} & "quotes"` }),
      finding({ id: 'F5', check: 'login-throttling', severity: 'info', operation: login, caller: 'anonymous' }),
    ],
    coverage: [
      {
        operation: getUser,
        checks: { 'no-auth': 'tested', bola: 'tested', bfla: 'not applicable', 'data-exposure': 'tested', 'mass-assignment': 'not applicable' },
      },
      { operation: listUsers, checks: { 'no-auth': 'tested', bola: 'not applicable', bfla: 'tested' } },
      { operation: patchUser, checks: { 'no-auth': 'tested', bola: 'tested', 'mass-assignment': 'skipped: needs --allow-writes' } },
      { operation: hostile, checks: { 'no-auth': 'tested' } },
      { operation: login, checks: { 'login-throttling': 'tested' } },
    ],
    matrix: [
      { operation: getUser, cells: { anonymous: 'denied', alice: 'allowed', bob: 'leaked', root: 'allowed' } },
      { operation: listUsers, cells: { anonymous: 'denied', alice: 'leaked', bob: 'denied', root: 'allowed' } },
      { operation: patchUser, cells: { anonymous: 'denied', alice: 'allowed', bob: 'untested', root: 'untested' } },
      { operation: hostile, cells: { anonymous: 'leaked', alice: 'allowed', bob: 'allowed' } },
    ],
  };
}

/** Operation × check pairs JUnit should contain: coverage entries plus findings outside coverage. */
function expectedCases(report: AuditReport): number {
  const keys = new Set<string>();
  for (const row of report.coverage) {
    for (const check of Object.keys(row.checks)) keys.add(`${row.operation.method} ${row.operation.path} ${check}`);
  }
  for (const f of report.findings) keys.add(`${f.operation.method} ${f.operation.path} ${f.check}`);
  return keys.size;
}

/** A small well-formedness check: tags balance and nest, and no raw `<` or stray `&` sits in text. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const between = body.slice(last, m.index);
    expect(between).not.toMatch(/[<>]/);
    expect(between).not.toMatch(/&(?!(?:amp|lt|gt|quot|apos|#\d+);)/);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name ?? '');
  }
  expect(body.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

describe('report model helpers', () => {
  it('maps checks to their OWASP API Top 10 (2023) ids', () => {
    expect(owaspFor('bola')).toBe('API1:2023');
    expect(owaspFor('no-auth')).toBe('API2:2023');
    expect(owaspFor('bfla')).toBe('API5:2023');
    expect(owaspFor('data-exposure')).toBe('API3:2023');
    expect(owaspFor('mass-assignment')).toBe('API3:2023');
    expect(owaspFor('login-throttling')).toBe('API2:2023 / API4:2023');
  });

  it('redactSecret keeps only a short prefix', () => {
    expect(redactSecret('CANARYBIO1a2b')).toBe('CANA…');
    expect(redactSecret('eyJhbGciOiJIUzI1NiJ9.secret.signature')).toBe('eyJh…');
    // Short values never show more than half.
    expect(redactSecret('abcd')).toBe('ab…');
    expect(redactSecret('')).toBe('…');
  });
});

describe('JSON report', () => {
  it('round-trips', () => {
    const report = sample();
    expect(JSON.parse(renderReport(report, 'json'))).toEqual(report);
  });

  it('has exactly the contract keys, dropping extras', () => {
    const report = sample();
    const withExtras = { ...report, internal: 1, findings: report.findings.map((f) => ({ ...f, debug: true })) };
    const out = JSON.parse(renderReport(withExtras, 'json')) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual([
      'version', 'target', 'startedAt', 'durationMs', 'requests', 'identities', 'findings', 'coverage', 'matrix',
    ]);
    const findings = out.findings as Record<string, unknown>[];
    expect(Object.keys(findings[1] ?? {})).toEqual([
      'id', 'check', 'owasp', 'severity', 'operation', 'owner', 'caller', 'title', 'evidence', 'curl',
    ]);
    // No owner: the key is absent, not null.
    expect(Object.keys(findings[2] ?? {})).not.toContain('owner');
    expect(Object.keys((out.coverage as Record<string, unknown>[])[0] ?? {})).toEqual(['operation', 'checks']);
    expect(Object.keys((out.matrix as Record<string, unknown>[])[0] ?? {})).toEqual(['operation', 'cells']);
  });
});

describe('SARIF report', () => {
  it('is SARIF 2.1.0 with one result per finding and a rule per used check', () => {
    const report = sample();
    const log = JSON.parse(renderReport(report, 'sarif'));
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('paceline audit');
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id).sort();
    expect(ruleIds).toEqual([...new Set(report.findings.map((f) => f.check))].sort());
    for (const rule of run.tool.driver.rules) {
      expect(rule.helpUri).toMatch(/^https:\/\/owasp\.org\//);
      expect(rule.shortDescription.text).toBeTruthy();
    }
    expect(run.results).toHaveLength(report.findings.length);
    run.results.forEach((result: Record<string, any>, i: number) => {
      const f = report.findings[i]!;
      expect(result.ruleId).toBe(f.check);
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(f.check);
      expect(result.message.text).toContain(f.title);
      expect(result.message.text).toContain(f.evidence);
      expect(result.locations[0].logicalLocations[0].name).toBe(`${f.operation.method} ${f.operation.path}`);
    });
    expect(run.results.map((r: { level: string }) => r.level)).toEqual(['warning', 'error', 'error', 'note', 'note']);
  });

  it('adds a physical location only when given the spec file', () => {
    const log = JSON.parse(renderReport(sample(), 'sarif', { artifactUri: 'openapi.yaml' }));
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('openapi.yaml');
  });
});

describe('JUnit report', () => {
  it('is well-formed XML with one testcase per operation × check and findings as failures', () => {
    const report = sample();
    const xml = renderReport(report, 'junit');
    assertWellFormedXml(xml);
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml.match(/<testcase /g)).toHaveLength(expectedCases(report));
    expect(xml.match(/<failure /g)).toHaveLength(report.findings.length);
    // bfla + mass-assignment not applicable on getUser, bola n/a on listUsers, one skipped on patchUser.
    expect(xml.match(/<skipped /g)).toHaveLength(4);
    expect(xml).toContain('<skipped message="skipped: needs --allow-writes"/>');
    expect(xml).toContain(`failures="${report.findings.length}"`);
  });

  it('escapes hostile values and drops characters XML cannot carry', () => {
    const report = sample();
    report.findings[3]!.evidence = `${evil}\u0000\u001b[2J & ]]>`;
    const xml = renderReport(report, 'junit');
    assertWellFormedXml(xml);
    expect(xml).not.toContain(evil);
    expect(xml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(xml).not.toMatch(/[\u0000\u001b]/);
  });
});

describe('HTML report', () => {
  const report = sample();
  const html = renderReport(report, 'html');

  it('has the matrix with one row per operation and one cell per identity', () => {
    const table = /<table class="matrix">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    const head = /<thead>([\s\S]*?)<\/thead>/.exec(table)?.[1] ?? '';
    expect(head.match(/<th scope="col">/g)).toHaveLength(report.identities.length + 1);
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
    const rows = body.match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(report.matrix.length);
    for (const row of rows) expect(row.match(/<td class="cell /g)).toHaveLength(report.identities.length);
    // Text labels alongside colour; a missing cell shows as untested.
    expect(rows[0]).toContain('class="cell leaked"');
    expect(rows[0]).toContain('leaked</td>');
    expect(rows[3]).toMatch(/class="cell untested"[^>]*>· untested<\/td><\/tr>$/);
    expect(html).toMatch(/class="legend"/);
  });

  it('loads nothing from elsewhere', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(?:link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    // The only absolute URLs are links to OWASP pages and the audited target shown as text.
    const urls = html.match(/https?:\/\/[^\s"'<)]+/g) ?? [];
    for (const url of urls) expect(url.startsWith('https://owasp.org/') || url.startsWith(report.target)).toBe(true);
    for (const href of html.match(/href="[^"]*"/g) ?? []) expect(href).toMatch(/^href="https:\/\/owasp\.org\//);
  });

  it('escapes untrusted values', () => {
    expect(html).not.toContain(evil);
    expect(html).toContain('/x/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('body: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });

  it('lists findings with evidence and curl, and the coverage table', () => {
    expect(html).toContain('curl -sS -H &#39;Authorization: Bearer &lt;bob&gt;&#39; http://127.0.0.1:3000/users/0193…');
    expect(html).toContain('canary CANA… and 11/12');
    expect(html).toContain('skipped: needs --allow-writes');
    expect(html).toContain('<table class="coverage">');
  });
});

describe('table report', () => {
  it('lists findings most severe first, then the matrix', () => {
    const out = renderReport(sample(), 'table');
    const order = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'].map((s) => out.indexOf(`${s} `));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out.split('\n')[0]).toContain('5 findings (1 critical, 1 high, 1 medium, 1 low, 1 info)');
    expect(out).toContain('caller bob, owner alice');
    expect(out).toMatch(/Authorization matrix/);
    expect(out.indexOf('Authorization matrix')).toBeGreaterThan(order[4]!);
    expect(out).not.toContain('\u001b[');
  });

  it('colours only when asked and strips control characters from untrusted text', () => {
    const report = sample();
    report.findings[3]!.evidence = 'x\u001b[2Jy';
    const plain = renderReport(report, 'table');
    expect(plain).not.toContain('\u001b');
    expect(renderReport(report, 'table', { color: true })).toContain('\u001b[1;31m');
  });
});
