import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { AuditInputError } from './audit-error.js';

/** Where a login response carries the credential. */
export type TokenLocation =
  | { readonly from: 'body'; readonly path: readonly string[] }
  | { readonly from: 'header'; readonly name: string }
  | { readonly from: 'cookie'; readonly name: string };

/** How an obtained token is sent: as a header built from a `{token}` template, or as a cookie. */
export type TokenUse =
  | { readonly kind: 'header'; readonly header: string; readonly value: string }
  | { readonly kind: 'cookie'; readonly cookie: string };

export type LoginBody =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'form'; readonly value: Readonly<Record<string, string>> }
  | { readonly kind: 'none' };

export interface LoginRecipe {
  readonly method: string;
  /** Relative to the target. */
  readonly path: string;
  readonly body: LoginBody;
  readonly token: TokenLocation;
  readonly use: TokenUse;
}

export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'login'; readonly login: LoginRecipe }
  | { readonly kind: 'headers'; readonly headers: Readonly<Record<string, string>> }
  | { readonly kind: 'cookies'; readonly cookies: Readonly<Record<string, string>> };

export interface Identity {
  readonly name: string;
  readonly role: string;
  readonly credential: Credential;
  readonly owns: Readonly<Record<string, readonly string[]>>;
  readonly canaries: readonly string[];
}

export interface IdentitiesFile {
  readonly version: 1;
  /** `anonymous` first, then the file's identities in file order. */
  readonly identities: readonly Identity[];
  readonly publicFields: readonly string[];
}

type Json = Record<string, unknown>;
type Env = Record<string, string | undefined>;

export const anonymousName = 'anonymous';
const defaultRole = 'member';
const loginMethods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** RFC 9110 token: what a header or cookie name may be. */
const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Names end up in reports, matrices and curl lines; keep them plain. */
const identityNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const topKeys = ['version', 'identities', 'publicFields'];
const identityKeys = ['role', 'login', 'headers', 'cookies', 'use', 'owns', 'canaries'];
const loginKeys = ['method', 'path', 'json', 'form', 'token'];
const credentialSources = ['login', 'headers', 'cookies'] as const;

/** Reads and validates an identities file (YAML or JSON), substituting `${NAME}` from `env`. */
export async function loadIdentities(file: string, env: Env = process.env): Promise<IdentitiesFile> {
  const text = await readIdentitiesFile(file);
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser serves both forms; duplicate keys are errors.
    raw = YAML.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // Only the first line: the parser's later lines quote the source, which may hold a secret.
    const reason = (error as Error).message.split(/\r?\n/)[0] ?? '';
    throw new AuditInputError(`identities ${file}: neither JSON nor YAML: ${reason}`, { cause: error });
  }
  const ctx: Ctx = { file, env };
  return deepFreeze(readTop(substitute(raw, [], ctx), ctx));
}

interface Ctx {
  file: string;
  env: Env;
}

async function readIdentitiesFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new AuditInputError(`identities ${file}: ${reason}`, { cause: error });
  }
}

function fail(ctx: Ctx, at: string[], message: string): never {
  const where = at.length === 0 ? '' : ` ${at.join('.')}`;
  throw new AuditInputError(`identities ${ctx.file}:${where}: ${message}`);
}

/**
 * Replaces `${NAME}` in every string value. `$${` stays a literal `${`, for secrets that contain it.
 * Messages name the variable and key, never the value.
 */
function substitute(value: unknown, at: string[], ctx: Ctx): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(\$)?\{([^}]*)\}/g, (whole, escaped: string | undefined, name: string) => {
      if (escaped) return whole.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(ctx, at, `"\${${name}}" is not a valid variable reference`);
      const replacement = ctx.env[name];
      if (replacement === undefined) fail(ctx, at, `environment variable ${name} is not set`);
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substitute(item, [...at, String(index)], ctx));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, [...at, key], ctx)]));
  return value;
}

function readTop(raw: unknown, ctx: Ctx): IdentitiesFile {
  const top = expectObject(raw, [], ctx);
  rejectUnknownKeys(top, topKeys, [], ctx);
  if (top.version !== 1) fail(ctx, ['version'], top.version === undefined ? 'is required and must be 1' : 'must be 1');
  if (top.identities === undefined) fail(ctx, ['identities'], 'is required');
  const map = expectObject(top.identities, ['identities'], ctx);
  const identities: Identity[] = [{ name: anonymousName, role: 'anonymous', credential: { kind: 'none' }, owns: {}, canaries: [] }];
  for (const [name, value] of Object.entries(map)) identities.push(readIdentity(name, value, ctx));
  return {
    version: 1,
    identities,
    publicFields: top.publicFields === undefined ? [] : expectStrings(top.publicFields, ['publicFields'], ctx),
  };
}

function readIdentity(name: string, raw: unknown, ctx: Ctx): Identity {
  const at = ['identities', name];
  if (name.toLowerCase() === anonymousName) fail(ctx, at, 'anonymous is implicit and may not be defined');
  if (!identityNamePattern.test(name)) fail(ctx, at, 'an identity name may only use letters, digits, "_", "." and "-"');
  const entry = expectObject(raw, at, ctx);
  rejectUnknownKeys(entry, identityKeys, at, ctx);
  const sources = credentialSources.filter((key) => entry[key] !== undefined);
  if (sources.length !== 1) {
    fail(ctx, at, sources.length === 0 ? 'needs one of login, headers or cookies' : `has ${sources.join(' and ')}; give exactly one credential source`);
  }
  const role = entry.role === undefined ? defaultRole : expectString(entry.role, [...at, 'role'], ctx);
  return {
    name,
    role,
    credential: readCredential(entry, at, ctx),
    owns: entry.owns === undefined ? {} : readOwns(entry.owns, [...at, 'owns'], ctx),
    canaries: entry.canaries === undefined ? [] : expectStrings(entry.canaries, [...at, 'canaries'], ctx),
  };
}

function readCredential(entry: Json, at: string[], ctx: Ctx): Credential {
  if (entry.login === undefined) {
    // `use` says how to send an obtained token; static credentials are sent exactly as written.
    if (entry.use !== undefined) fail(ctx, [...at, 'use'], 'only applies to an identity with login');
    if (entry.headers !== undefined) return { kind: 'headers', headers: readNamedStrings(entry.headers, [...at, 'headers'], ctx) };
    return { kind: 'cookies', cookies: readNamedStrings(entry.cookies, [...at, 'cookies'], ctx) };
  }
  return { kind: 'login', login: readLogin(entry.login, entry.use, at, ctx) };
}

function readLogin(raw: unknown, rawUse: unknown, identityAt: string[], ctx: Ctx): LoginRecipe {
  const at = [...identityAt, 'login'];
  const login = expectObject(raw, at, ctx);
  rejectUnknownKeys(login, loginKeys, at, ctx);
  const method = login.method === undefined ? 'POST' : expectString(login.method, [...at, 'method'], ctx).toUpperCase();
  if (!loginMethods.has(method)) fail(ctx, [...at, 'method'], `must be one of ${[...loginMethods].join(', ')}`);
  if (login.path === undefined) fail(ctx, [...at, 'path'], 'is required');
  const path = expectString(login.path, [...at, 'path'], ctx);
  // Relative to --target: an absolute URL here would send credentials outside the target.
  if (!path.startsWith('/')) fail(ctx, [...at, 'path'], 'must start with "/" (it is relative to --target)');
  if (login.token === undefined) fail(ctx, [...at, 'token'], 'is required');
  const token = readTokenLocation(expectString(login.token, [...at, 'token'], ctx), [...at, 'token'], ctx);
  const use = rawUse === undefined ? defaultUse(token) : readUse(rawUse, [...identityAt, 'use'], ctx);
  return { method, path, body: readLoginBody(login, at, ctx), token, use };
}

function readLoginBody(login: Json, at: string[], ctx: Ctx): LoginBody {
  if (login.json !== undefined && login.form !== undefined) fail(ctx, at, 'has json and form; give at most one body');
  if (login.json !== undefined) return { kind: 'json', value: login.json };
  if (login.form !== undefined) return { kind: 'form', value: readFormFields(login.form, [...at, 'form'], ctx) };
  return { kind: 'none' };
}

function readTokenLocation(spec: string, at: string[], ctx: Ctx): TokenLocation {
  const match = /^(body|header|cookie)\.(.+)$/.exec(spec);
  if (!match) fail(ctx, at, 'must be body.<dot.path>, header.<Name> or cookie.<name>');
  const [, from, rest = ''] = match;
  if (from === 'body') {
    const path = rest.split('.');
    if (path.some((segment) => segment === '')) fail(ctx, at, 'has an empty segment in its body path');
    return { from: 'body', path };
  }
  if (!tokenPattern.test(rest)) fail(ctx, at, `"${rest}" is not a valid ${from} name`);
  return from === 'header' ? { from: 'header', name: rest } : { from: 'cookie', name: rest };
}

/** Bearer in Authorization, except that a token found in a cookie goes back as that cookie. */
function defaultUse(token: TokenLocation): TokenUse {
  if (token.from === 'cookie') return { kind: 'cookie', cookie: token.name };
  return { kind: 'header', header: 'Authorization', value: 'Bearer {token}' };
}

function readUse(raw: unknown, at: string[], ctx: Ctx): TokenUse {
  const use = expectObject(raw, at, ctx);
  if (use.cookie !== undefined) {
    rejectUnknownKeys(use, ['cookie'], at, ctx);
    const cookie = expectString(use.cookie, [...at, 'cookie'], ctx);
    if (!tokenPattern.test(cookie)) fail(ctx, [...at, 'cookie'], 'is not a valid cookie name');
    return { kind: 'cookie', cookie };
  }
  rejectUnknownKeys(use, ['header', 'value'], at, ctx);
  const header = use.header === undefined ? 'Authorization' : expectString(use.header, [...at, 'header'], ctx);
  if (!tokenPattern.test(header)) fail(ctx, [...at, 'header'], 'is not a valid header name');
  const value = use.value === undefined ? '{token}' : expectString(use.value, [...at, 'value'], ctx);
  if (!value.includes('{token}')) fail(ctx, [...at, 'value'], 'must contain {token}');
  return { kind: 'header', header, value };
}

function readNamedStrings(raw: unknown, at: string[], ctx: Ctx): Record<string, string> {
  const map = expectObject(raw, at, ctx);
  if (Object.keys(map).length === 0) fail(ctx, at, 'is empty');
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(map)) {
    if (!tokenPattern.test(name)) fail(ctx, [...at, name], 'is not a valid name');
    result[name] = expectString(value, [...at, name], ctx);
  }
  return result;
}

/** Form values may be written as YAML numbers or booleans; they travel as text anyway. */
function readFormFields(raw: unknown, at: string[], ctx: Ctx): Record<string, string> {
  const map = expectObject(raw, at, ctx);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(map)) result[name] = expectScalar(value, [...at, name], ctx);
  return result;
}

/** Owned ids may be numeric in the target's API; they are compared as text. */
function readOwns(raw: unknown, at: string[], ctx: Ctx): Record<string, string[]> {
  const map = expectObject(raw, at, ctx);
  const result: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(map)) {
    if (!Array.isArray(values)) fail(ctx, [...at, name], 'must be a list');
    result[name] = values.map((value, index) => expectScalar(value, [...at, name, String(index)], ctx));
  }
  return result;
}

function expectObject(value: unknown, at: string[], ctx: Ctx): Json {
  if (!isObject(value)) fail(ctx, at, `must be a mapping, not ${describe(value)}`);
  return value;
}

function expectString(value: unknown, at: string[], ctx: Ctx): string {
  if (typeof value !== 'string') fail(ctx, at, `must be a string, not ${describe(value)}`);
  if (value === '') fail(ctx, at, 'must not be empty');
  return value;
}

function expectScalar(value: unknown, at: string[], ctx: Ctx): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  fail(ctx, at, `must be a string, not ${describe(value)}`);
}

function expectStrings(value: unknown, at: string[], ctx: Ctx): string[] {
  if (!Array.isArray(value)) fail(ctx, at, `must be a list of strings, not ${describe(value)}`);
  return value.map((item, index) => expectString(item, [...at, String(index)], ctx));
}

function rejectUnknownKeys(value: Json, allowed: string[], at: string[], ctx: Ctx): void {
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(ctx, [...at, unknown], `unknown key (expected ${allowed.join(', ')})`);
}

/** The kind of a value, never the value itself: it may be a secret. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
