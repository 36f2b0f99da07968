import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCommand } from '../src/cli/audit.js';

/** A tiny API whose one secured operation can be made open (a finding) or closed (clean). */
let open = false;
const spec = {
  openapi: '3.1.0',
  info: { title: 'cli fixture', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/api/me': { get: { operationId: 'getMe', security: [{ bearer: [] }], responses: { 200: { description: 'me' } } } },
  },
};

let server: Server;
let target = '';
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/openapi.json') return res.end(JSON.stringify(spec));
    const authorized = req.headers.authorization === 'Bearer good-token';
    if (req.url === '/api/me' && (authorized || open)) return res.end(JSON.stringify({ id: 'u-1', username: 'alice', email: 'alice@example.org' }));
    res.statusCode = 401;
    res.end(JSON.stringify({ error: 'login required' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), 'audit-cli-'));
  await writeFile(path.join(dir, 'identities.yaml'), 'version: 1\nidentities:\n  alice:\n    headers: { Authorization: "Bearer good-token" }\n');
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t), isTTY: false } },
  };
}

const args = () => ({ spec: `${target}/openapi.json`, target, identities: path.join(dir, 'identities.yaml') });

describe('paceline audit (command function)', () => {
  it('exits 0 and prints parseable JSON when nothing is found', async () => {
    open = false;
    const { out, err, io } = capture();
    expect(await auditCommand({ ...args(), format: 'json' }, io)).toBe(0);
    const report = JSON.parse(out.join('')) as { findings: unknown[]; identities: string[] };
    expect(report.findings).toEqual([]);
    expect(report.identities).toEqual(['anonymous', 'alice']);
    // No progress bar when standard error is not a terminal.
    expect(err.join('')).toBe('');
  });

  it('exits 1 when something is found and writes --out', async () => {
    open = true;
    const { io } = capture();
    const out = path.join(dir, 'report.json');
    expect(await auditCommand({ ...args(), format: 'json', out }, io)).toBe(1);
    const report = JSON.parse(await readFile(out, 'utf8')) as { findings: { check: string }[] };
    expect(report.findings.map((f) => f.check)).toContain('no-auth');
  });

  it('draws a progress bar on a terminal, from the first tick to the last, then clears it', async () => {
    open = false;
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t), isTTY: true } };
    expect(await auditCommand({ ...args(), format: 'json' }, io)).toBe(0);
    const bars = err.filter((t) => t.startsWith('\r['));
    expect(bars.length).toBeGreaterThan(2);
    const counts = bars.map((t) => /\] (\d+)\/(\d+)$/.exec(t)?.slice(1).map(Number) ?? []);
    const done = counts.map(([d]) => d ?? -1);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(counts.at(-1)?.[0]).toBe(counts.at(-1)?.[1]);
    expect(err.at(-1)).toBe('\r\u001b[2K');
    // Standard output stays parseable.
    expect(() => JSON.parse(out.join(''))).not.toThrow();
  });

  it('says once on standard error when the request budget ran out', async () => {
    open = false;
    const { out, err, io } = capture();
    expect(await auditCommand({ ...args(), format: 'json', 'max-requests': '2' }, io)).toBe(0);
    const report = JSON.parse(out.join('')) as { requests: number; coverage: { checks: Record<string, string> }[] };
    expect(report.requests).toBeLessThanOrEqual(2);
    expect(report.coverage.flatMap((row) => Object.values(row.checks))).toContain('skipped: request budget exhausted');
    expect(err.join('')).toMatch(/^paceline audit: the request budget of 2 ran out; \d+ checks were skipped/);
  });

  it('exits 2 with a one-line reason on usage, spec and target errors', async () => {
    for (const bad of [
      { ...args(), format: 'xml' },
      { ...args(), spec: undefined },
      { ...args(), spec: path.join(dir, 'missing.json') },
      { ...args(), 'max-requests': 'lots' },
      { ...args(), target: 'http://127.0.0.1:1' },
    ]) {
      const { err, io } = capture();
      expect(await auditCommand(bad, io)).toBe(2);
      const text = err.join('');
      expect(text).toMatch(/^paceline audit: .+\n$/);
      expect(text.trim().split('\n')).toHaveLength(1);
    }
  });
});
