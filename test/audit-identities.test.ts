import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditInputError } from '../src/audit/audit-error.js';
import { type Identity, type IdentitiesFile, loadIdentities } from '../src/audit/identities.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'audit');
const secret = 'S3cret-not-for-logs';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audit-identities-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a fresh file and loads it. */
async function load(text: string, env: Record<string, string> = {}): Promise<IdentitiesFile> {
  const file = path.join(dir, `identities-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return loadIdentities(file, env);
}

async function expectInputError(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuditInputError);
  const message = (error as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
  return message;
}

function byName(file: IdentitiesFile, name: string): Identity {
  const found = file.identities.find((identity) => identity.name === name);
  if (!found) throw new Error(`no identity ${name}`);
  return found;
}

describe('loadIdentities: the AUDIT.md example', () => {
  let loaded: IdentitiesFile;
  beforeAll(async () => {
    loaded = await loadIdentities(path.join(fixtures, 'identities-example.yaml'), { ALICE_PASSWORD: secret });
  });

  it('puts the implicit anonymous first, then the file order', () => {
    expect(loaded.version).toBe(1);
    expect(loaded.identities.map((i) => i.name)).toEqual(['anonymous', 'alice', 'bob', 'root']);
    expect(loaded.identities[0]).toEqual({ name: 'anonymous', role: 'anonymous', credential: { kind: 'none' }, owns: {}, canaries: [] });
  });

  it('reads a login recipe with the substituted password', () => {
    const alice = byName(loaded, 'alice');
    expect(alice.role).toBe('member');
    expect(alice.credential).toEqual({
      kind: 'login',
      login: {
        method: 'POST',
        path: '/api/v1/auth/login',
        body: { kind: 'json', value: { login: 'alice', password: secret } },
        token: { from: 'body', path: ['token'] },
        use: { kind: 'header', header: 'Authorization', value: 'Bearer {token}' },
      },
    });
    expect(alice.owns).toEqual({ userId: ['0193a0c4-...'] });
    expect(alice.canaries).toEqual(['CANARYBIO1a2b', 'alice@example.org']);
  });

  it('reads static headers with any name, and cookies', () => {
    expect(byName(loaded, 'bob').credential).toEqual({ kind: 'headers', headers: { 'Authorization-Token': 'Ym9iMTpib2Jwdw==' } });
    expect(byName(loaded, 'root')).toMatchObject({ role: 'admin', credential: { kind: 'cookies', cookies: { token: 'eyJhbGciOi...' } } });
  });

  it('reads publicFields and freezes everything', () => {
    expect(loaded.publicFields).toEqual(['id', 'username', 'displayName', 'isPrivate']);
    expect(Object.isFrozen(loaded)).toBe(true);
    expect(Object.isFrozen(loaded.identities)).toBe(true);
    expect(Object.isFrozen(byName(loaded, 'alice').credential)).toBe(true);
    expect(Object.isFrozen(byName(loaded, 'alice').canaries)).toBe(true);
  });
});

describe('loadIdentities: JSON form and defaults', () => {
  it('reads JSON, defaults role and method, sends a cookie token back as that cookie', async () => {
    const loaded = await loadIdentities(path.join(fixtures, 'identities.json'), { DAVE_KEY: 'k' });
    expect(loaded.publicFields).toEqual([]);
    const carol = byName(loaded, 'carol');
    expect(carol.role).toBe('member');
    expect(carol.credential).toEqual({
      kind: 'login',
      login: {
        method: 'POST',
        path: '/session',
        body: { kind: 'form', value: { user: 'carol', pin: '1234' } },
        token: { from: 'cookie', name: 'sid' },
        use: { kind: 'cookie', cookie: 'sid' },
      },
    });
    const dave = byName(loaded, 'dave');
    expect(dave.role).toBe('admin');
    expect(dave.credential).toMatchObject({
      login: { method: 'PUT', token: { from: 'header', name: 'X-Session' }, use: { kind: 'header', header: 'X-Session', value: '{token}' } },
    });
  });

  it('defaults use to Authorization: Bearer {token} for a body token, with a dotted path', async () => {
    const loaded = await load('version: 1\nidentities:\n  eve:\n    login: { path: /login, token: body.data.access_token }\n');
    expect(byName(loaded, 'eve').credential).toEqual({
      kind: 'login',
      login: {
        method: 'POST',
        path: '/login',
        body: { kind: 'none' },
        token: { from: 'body', path: ['data', 'access_token'] },
        use: { kind: 'header', header: 'Authorization', value: 'Bearer {token}' },
      },
    });
  });
});

describe('loadIdentities: ${VAR} substitution', () => {
  it('replaces variables anywhere in any string, several per string, and keeps $${ literal', async () => {
    const loaded = await load(
      [
        'version: 1',
        'identities:',
        '  bob:',
        '    headers: { X-Api-Key: "${KEY_A}:${KEY_B}", X-Raw: "$${NOT_A_VAR}" }',
        '    canaries: ["${CANARY}"]',
        'publicFields: ["${FIELD}"]',
      ].join('\n'),
      { KEY_A: 'a', KEY_B: 'b', CANARY: 'CAN1', FIELD: 'id' },
    );
    expect(byName(loaded, 'bob')).toMatchObject({ credential: { headers: { 'X-Api-Key': 'a:b', 'X-Raw': '${NOT_A_VAR}' } }, canaries: ['CAN1'] });
    expect(loaded.publicFields).toEqual(['id']);
  });

  it('names an unset variable and its key, without printing any secret', async () => {
    const message = await expectInputError(
      loadIdentities(path.join(fixtures, 'identities-example.yaml'), {}),
      /identities-example\.yaml: identities\.alice\.login\.json\.password: environment variable ALICE_PASSWORD is not set/,
    );
    expect(message).not.toContain('Ym9i');
  });

  it('rejects a malformed reference', async () => {
    await expectInputError(load('version: 1\nidentities:\n  bob:\n    headers: { X: "${not-a-name}" }\n'), /identities\.bob\.headers\.X: "\$\{not-a-name\}" is not a valid/);
  });
});

describe('loadIdentities: strict validation', () => {
  it('refuses a file that defines anonymous', async () => {
    await expectInputError(load('version: 1\nidentities:\n  anonymous:\n    headers: { X: y }\n'), /identities\.anonymous: anonymous is implicit/);
  });

  it('names the path of an unknown key', async () => {
    await expectInputError(load('version: 1\nidentities: {}\nextra: 1\n'), /: extra: unknown key/);
    await expectInputError(load('version: 1\nidentities:\n  bob:\n    headers: { X: y }\n    roles: admin\n'), /identities\.bob\.roles: unknown key/);
    await expectInputError(
      load('version: 1\nidentities:\n  bob:\n    login: { path: /l, token: body.t, body: {} }\n'),
      /identities\.bob\.login\.body: unknown key/,
    );
  });

  it('requires exactly one credential source', async () => {
    await expectInputError(
      load('version: 1\nidentities:\n  bob:\n    headers: { X: y }\n    cookies: { c: d }\n'),
      /identities\.bob: has headers and cookies; give exactly one credential source/,
    );
    await expectInputError(load('version: 1\nidentities:\n  bob:\n    role: member\n'), /identities\.bob: needs one of login, headers or cookies/);
  });

  it('rejects wrong types without echoing values', async () => {
    const message = await expectInputError(
      load(`version: 1\nidentities:\n  bob:\n    headers: { X-Key: ["${secret}"] }\n`),
      /identities\.bob\.headers\.X-Key: must be a string, not a list/,
    );
    expect(message).not.toContain(secret);
    await expectInputError(load('version: 1\nidentities:\n  bob:\n    role: 3\n    headers: { X: y }\n'), /identities\.bob\.role: must be a string, not a number/);
    await expectInputError(load('version: 1\nidentities:\n  bob:\n    headers: { X: y }\n    canaries: CAN\n'), /canaries: must be a list of strings/);
    await expectInputError(load('version: 1\nidentities: []\n'), /identities: must be a mapping, not a list/);
  });

  it('checks version, login path, token location and use', async () => {
    await expectInputError(load('identities: {}\n'), /version: is required and must be 1/);
    await expectInputError(load('version: 2\nidentities: {}\n'), /version: must be 1/);
    await expectInputError(load('version: 1\n'), /identities: is required/);
    await expectInputError(load('version: 1\nidentities:\n  b:\n    login: { path: "http://evil/l", token: body.t }\n'), /login\.path: must start with "\/"/);
    await expectInputError(load('version: 1\nidentities:\n  b:\n    login: { path: /l, token: json.t }\n'), /login\.token: must be body\.<dot\.path>/);
    await expectInputError(load('version: 1\nidentities:\n  b:\n    login: { path: /l }\n'), /login\.token: is required/);
    await expectInputError(
      load('version: 1\nidentities:\n  b:\n    login: { path: /l, token: body.t }\n    use: { header: X, value: plain }\n'),
      /identities\.b\.use\.value: must contain \{token\}/,
    );
    await expectInputError(load('version: 1\nidentities:\n  b:\n    headers: { X: y }\n    use: { header: X }\n'), /identities\.b\.use: only applies to an identity with login/);
    await expectInputError(
      load('version: 1\nidentities:\n  b:\n    login: { path: /l, token: body.t, json: {}, form: {} }\n'),
      /identities\.b\.login: has json and form/,
    );
  });

  it('reports a missing file and unparsable content', async () => {
    await expectInputError(loadIdentities(path.join(dir, 'absent.yaml'), {}), /absent\.yaml: no such file/);
    await expectInputError(load('version: 1\nidentities: {\n'), /neither JSON nor YAML/);
    await expectInputError(load('version: 1\nversion: 1\nidentities: {}\n'), /neither JSON nor YAML/);
  });
});
