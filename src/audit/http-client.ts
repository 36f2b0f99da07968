import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { AuditInputError } from './audit-error.js';
import type { IdentitiesFile, Identity, LoginRecipe, TokenLocation, TokenUse } from './identities.js';
import { RateLimiter, Semaphore } from './rate-limit.js';

export interface AuditClientOptions {
  /** Base URL, possibly with a path prefix; nothing outside it is ever called. */
  target: string;
  identities: IdentitiesFile;
  /** Requests per second across all identities; unlimited when absent. */
  rate?: number;
  /** Requests in flight at once across all identities (default 4). */
  concurrency?: number;
  /** Total requests, logins included; unlimited when absent. */
  maxRequests?: number;
  allowWrites?: boolean;
  allowDestructive?: boolean;
  /** Per request, default 10 s. */
  timeoutMs?: number;
  /**
   * A 429 with a Retry-After of at most 10 s is waited out and the request sent once more (default
   * true): a rate-limited answer says nothing about authorization. The login-throttling check turns
   * it off, since the 429 is what it looks for.
   */
  retryThrottled?: boolean;
  fetch?: typeof fetch;
}

export interface AuditRequest {
  method: string;
  /** Already expanded, starting with `/`; appended to the target. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  /** A url-encoded form body; used instead of `json` when both are given. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface SendMeta {
  destructive?: boolean;
  /** `invalid` sends a look-alike but wrong credential (for the no-auth check). */
  credential?: 'valid' | 'invalid';
}

export interface AuditResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  bodyText: string;
  /** Present when the answer says it is JSON and parses. */
  json?: unknown;
  durationMs: number;
}

export interface AuditClient {
  send(identityName: string, request: AuditRequest, meta?: SendMeta): Promise<AuditResponse>;
  /** A reproducible curl line with the credential shown as `<identity>`, never the secret. */
  curlFor(identityName: string, request: AuditRequest): string;
  requestsMade(): number;
  /** Whether the identity's login recipe still works: a fresh login, never the cached session. */
  canLogIn(identityName: string): Promise<boolean>;
}

/** A request the client will not send (method not allowed, URL outside the target); nothing reached the network. */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused';
}

/** The `maxRequests` budget is spent. */
export class BudgetExhausted extends Error {
  override readonly name = 'BudgetExhausted';

  constructor(readonly maxRequests: number) {
    super(`request budget of ${maxRequests} exhausted`);
  }
}

/** A login answered with a failure or without a token; the message names identity and status only. */
export class LoginFailed extends AuditInputError {}

/** The target did not answer within the timeout. */
export class RequestTimeout extends AuditInputError {}

/** The target could not be reached at all (refused, reset, DNS...). */
export class TargetUnreachable extends AuditInputError {}

export function createAuditClient(options: AuditClientOptions): AuditClient {
  return new Client(options);
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const defaultConcurrency = 4;
const defaultTimeoutMs = 10_000;
const maxLoginWaitSeconds = 30;
const maxRetryWaitSeconds = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What goes with a request to carry an identity's credential. */
interface Carrier {
  headers: Record<string, string>;
  cookies: Record<string, string>;
}

/** A raw exchange: the public answer plus the Set-Cookie lines, which a flat header record would merge. */
interface Answer {
  response: AuditResponse;
  setCookies: string[];
}

class Client implements AuditClient {
  private readonly target: Target;
  private readonly identities: Map<string, Identity>;
  private readonly semaphore: Semaphore;
  private readonly limiter: RateLimiter;
  private readonly maxRequests: number;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  /** Per login identity, the current (or pending, or failed) login. A failure is kept: retrying a bad password only spends budget. */
  private readonly sessions = new Map<string, Promise<string>>();
  private made = 0;

  constructor(private readonly options: AuditClientOptions) {
    this.target = new Target(options.target);
    this.identities = new Map(options.identities.identities.map((identity) => [identity.name, identity]));
    this.semaphore = new Semaphore(positiveInteger('concurrency', options.concurrency) ?? defaultConcurrency);
    this.limiter = new RateLimiter(positiveNumber('rate', options.rate));
    this.maxRequests = nonNegativeInteger('maxRequests', options.maxRequests) ?? Number.POSITIVE_INFINITY;
    this.timeoutMs = positiveNumber('timeoutMs', options.timeoutMs) ?? defaultTimeoutMs;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  requestsMade(): number {
    return this.made;
  }

  async canLogIn(identityName: string): Promise<boolean> {
    const identity = this.identity(identityName);
    if (identity.credential.kind !== 'login') return true;
    try {
      await this.login(identity.name, identity.credential.login);
      return true;
    } catch (error) {
      if (error instanceof LoginFailed) return false;
      throw error;
    }
  }

  async send(identityName: string, request: AuditRequest, meta: SendMeta = {}): Promise<AuditResponse> {
    const identity = this.identity(identityName);
    const method = this.checkAllowed(request.method, meta.destructive === true);
    const url = this.target.resolve(request.path, request.query);
    if (meta.credential === 'invalid') {
      // A 401 is the expected answer here, so no re-login.
      return this.exchange(method, url, request, await this.invalidCarrier(identity));
    }
    const login = identity.credential.kind === 'login' ? identity.credential.login : undefined;
    if (!login) return this.exchange(method, url, request, staticCarrier(identity));
    const token = await this.token(identity.name, login);
    const first = await this.exchange(method, url, request, tokenCarrier(login.use, token));
    if (first.status !== 401) return first;
    // The token may have expired or been revoked: one fresh login and one retry, never a loop.
    const fresh = await this.refresh(identity.name, login, token);
    return this.exchange(method, url, request, tokenCarrier(login.use, fresh));
  }

  curlFor(identityName: string, request: AuditRequest): string {
    const identity = this.identity(identityName);
    const method = request.method.toUpperCase();
    const url = this.target.resolve(request.path, request.query);
    const headers = requestHeaders(request, placeholderCarrier(identity, `<${identity.name}>`));
    const parts = ['curl', '-sS'];
    // `-X HEAD` would make curl wait for a body that never comes.
    if (method === 'HEAD') parts.push('--head');
    else if (method !== 'GET') parts.push('-X', shellQuote(method));
    for (const [name, value] of Object.entries(headers)) parts.push('-H', shellQuote(`${name}: ${value}`));
    const body = requestBody(maskPasswords(request));
    if (body !== undefined) parts.push('--data-raw', shellQuote(body));
    parts.push(shellQuote(url.href));
    return parts.join(' ');
  }

  private identity(name: string): Identity {
    const identity = this.identities.get(name);
    if (!identity) throw new AuditInputError(`unknown identity "${name}"`);
    return identity;
  }

  private checkAllowed(rawMethod: string, destructive: boolean): string {
    const method = rawMethod.toUpperCase();
    if (!/^[A-Z]+$/.test(method)) throw new RequestRefused(`method ${JSON.stringify(rawMethod)} is not a plain HTTP method`);
    if (!safeMethods.has(method) && this.options.allowWrites !== true) {
      throw new RequestRefused(`${method} refused: write methods need --allow-writes`);
    }
    if ((destructive || method === 'DELETE') && this.options.allowDestructive !== true) {
      throw new RequestRefused(`${method} refused: destructive requests need --allow-destructive`);
    }
    return method;
  }

  private async exchange(method: string, url: URL, request: AuditRequest, carrier: Carrier): Promise<AuditResponse> {
    const headers = requestHeaders(request, carrier);
    const first = await this.transport(method, url, headers, requestBody(request));
    const wait = retryAfterSeconds(first.response);
    if (first.response.status !== 429 || this.options.retryThrottled === false || wait === undefined || wait > maxRetryWaitSeconds) return first.response;
    await sleep(wait * 1000);
    return (await this.transport(method, url, headers, requestBody(request))).response;
  }

  /** Every network call goes through here: budget, concurrency, rate, timeout. */
  private async transport(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<Answer> {
    // Counted before queueing, so concurrent callers cannot overshoot the budget together.
    if (this.made >= this.maxRequests) throw new BudgetExhausted(this.maxRequests);
    this.made += 1;
    return this.semaphore.run(async () => {
      await this.limiter.wait();
      return this.fetchWithTimeout(method, url, headers, body);
    });
  }

  private async fetchWithTimeout(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<Answer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    const started = performance.now();
    try {
      // Redirects are not followed: a Location header could point outside the target.
      const res = await this.fetchImpl(url, { method, headers, body, redirect: 'manual', signal: controller.signal });
      const bodyText = await res.text();
      return { response: toResponse(res, bodyText, performance.now() - started), setCookies: res.headers.getSetCookie() };
    } catch (error) {
      const what = `${method} ${url.origin}${url.pathname}`;
      if (controller.signal.aborted) throw new RequestTimeout(`${what} timed out after ${this.timeoutMs} ms`, { cause: error });
      throw new TargetUnreachable(`${what} failed: ${networkReason(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The identity's token, logging in on first use; concurrent first uses share one login. */
  private token(name: string, login: LoginRecipe): Promise<string> {
    let session = this.sessions.get(name);
    if (!session) {
      session = this.login(name, login);
      this.sessions.set(name, session);
    }
    return session;
  }

  /** A new token after `stale` was refused, unless another request has already replaced it. */
  private async refresh(name: string, login: LoginRecipe, stale: string): Promise<string> {
    const entry = this.sessions.get(name);
    const current = entry === undefined ? undefined : await entry.catch(() => undefined);
    if (current !== undefined && current !== stale) return current;
    // Compare entries, not tokens: a concurrent refresh may have started while we awaited.
    if (this.sessions.get(name) === entry) this.sessions.delete(name);
    return this.token(name, login);
  }

  private async login(name: string, login: LoginRecipe): Promise<string> {
    const url = this.target.resolve(login.path);
    const { headers, body } = loginBody(login);
    // The recipe's method is exempt from --allow-writes: the user configured this one request.
    let answer = await this.transport(login.method, url, headers, body);
    // A login throttled by an earlier run (the login-throttling check's wrong passwords) is worth
    // one short wait, as the target asks, before the audit gives up.
    const wait = retryAfterSeconds(answer.response);
    if (answer.response.status === 429 && wait !== undefined && wait <= maxLoginWaitSeconds) {
      await sleep(wait * 1000);
      answer = await this.transport(login.method, url, headers, body);
    }
    const { status } = answer.response;
    const where = `${login.method} ${url.pathname}`;
    if (status < 200 || status >= 300) throw new LoginFailed(`login for identity ${name} failed: ${where} answered ${status}`);
    const token = extractToken(login.token, answer);
    if (token === undefined) throw new LoginFailed(`login for identity ${name}: ${where} answered ${status} without a token at ${describeLocation(login.token)}`);
    return token;
  }

  private async invalidCarrier(identity: Identity): Promise<Carrier> {
    const credential = identity.credential;
    switch (credential.kind) {
      case 'none':
        return { headers: { Authorization: `Bearer ${randomBytes(24).toString('base64url')}` }, cookies: {} };
      case 'headers':
        return { headers: mapValues(credential.headers, mangleHeaderValue), cookies: {} };
      case 'cookies':
        return { headers: {}, cookies: mapValues(credential.cookies, mangle) };
      case 'login':
        // Mimicking the real token needs one: this logs in if not yet done.
        return tokenCarrier(credential.login.use, mangle(await this.token(identity.name, credential.login)));
    }
  }
}

/** The target's origin and path prefix; every URL is built and checked here. */
class Target {
  private readonly origin: string;
  private readonly prefix: string;

  constructor(raw: string) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AuditInputError(`target ${JSON.stringify(raw)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AuditInputError(`target ${url.href} must be http or https`);
    // They would be silently dropped by the origin + prefix rebuild below.
    if (url.search || url.hash || url.username || url.password) {
      throw new AuditInputError(`target ${url.origin}${url.pathname} must not carry a query, fragment or user info`);
    }
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
  }

  resolve(path: string, query: Record<string, string> = {}): URL {
    // A path not starting with "/" could be "http://elsewhere" or "@elsewhere"; "?" and "#" belong in `query`.
    if (!path.startsWith('/')) throw new RequestRefused(`path ${JSON.stringify(path)} must start with "/"`);
    if (/[?#]/.test(path)) throw new RequestRefused(`path ${JSON.stringify(path)} must not contain "?" or "#"`);
    // Concatenated, not `new URL(path, base)`: "//host/x" as a reference would change the host.
    const url = new URL(this.origin + this.prefix + path);
    if (url.origin !== this.origin || !this.contains(url.pathname)) {
      throw new RequestRefused(`path ${JSON.stringify(path)} leaves the target ${this.origin}${this.prefix}`);
    }
    for (const [name, value] of Object.entries(query)) url.searchParams.append(name, value);
    return url;
  }

  /** Dot segments are already resolved by the URL parser, so a prefix test is enough. */
  private contains(pathname: string): boolean {
    return this.prefix === '' || pathname === this.prefix || pathname.startsWith(`${this.prefix}/`);
  }
}

function staticCarrier(identity: Identity): Carrier {
  const credential = identity.credential;
  if (credential.kind === 'headers') return { headers: { ...credential.headers }, cookies: {} };
  if (credential.kind === 'cookies') return { headers: {}, cookies: { ...credential.cookies } };
  return { headers: {}, cookies: {} };
}

function tokenCarrier(use: TokenUse, token: string): Carrier {
  if (use.kind === 'cookie') return { headers: {}, cookies: { [use.cookie]: token } };
  return { headers: { [use.header]: use.value.split('{token}').join(token) }, cookies: {} };
}

/** The same shape as the real credential, with every secret replaced by `placeholder`. */
function placeholderCarrier(identity: Identity, placeholder: string): Carrier {
  const credential = identity.credential;
  if (credential.kind === 'login') return tokenCarrier(credential.login.use, placeholder);
  const stat = staticCarrier(identity);
  return { headers: mapValues(stat.headers, () => placeholder), cookies: mapValues(stat.cookies, () => placeholder) };
}

/** Caller headers, then the credential on top (it wins over a same-named header; cookies are joined). */
function requestHeaders(request: AuditRequest, carrier: Carrier): Record<string, string> {
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  if (findHeader(headers, 'content-type') === undefined) {
    if (request.form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    else if (request.json !== undefined) headers['Content-Type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(carrier.headers)) {
    deleteHeader(headers, name);
    headers[name] = value;
  }
  const cookies = Object.entries(carrier.cookies).map(([name, value]) => `${name}=${value}`);
  if (cookies.length > 0) {
    const existing = findHeader(headers, 'cookie');
    deleteHeader(headers, 'cookie');
    headers.Cookie = [...(existing === undefined ? [] : [existing]), ...cookies].join('; ');
  }
  return headers;
}

/** Retry-After in seconds (delay-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(response: AuditResponse): number | undefined {
  const raw = response.headers['retry-after']?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Body fields named like passwords shown as `<password>`: a report must not hand out working
 * credentials, not even those of an account the auditor itself created.
 */
function maskPasswords(request: AuditRequest): AuditRequest {
  const mask = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).map(([k, v]) => [k, /pass|pwd|secret/i.test(k) ? '<password>' : v]));
  if (request.form !== undefined) return { ...request, form: mask(request.form) as Record<string, string> };
  if (typeof request.json === 'object' && request.json !== null && !Array.isArray(request.json)) return { ...request, json: mask(request.json as Record<string, unknown>) };
  return request;
}

function requestBody(request: AuditRequest): string | undefined {
  if (request.form !== undefined) return new URLSearchParams(request.form).toString();
  return request.json === undefined ? undefined : JSON.stringify(request.json);
}

function findHeader(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

function deleteHeader(headers: Record<string, string>, name: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
}

function loginBody(login: LoginRecipe): { headers: Record<string, string>; body?: string } {
  if (login.body.kind === 'json') return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(login.body.value) };
  if (login.body.kind === 'form') {
    return { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...login.body.value }).toString() };
  }
  return { headers: {} };
}

function extractToken(location: TokenLocation, answer: Answer): string | undefined {
  if (location.from === 'header') return nonEmpty(answer.response.headers[location.name.toLowerCase()]);
  if (location.from === 'cookie') return nonEmpty(cookieValue(answer.setCookies, location.name));
  let value: unknown = parseJson(answer.response.bodyText);
  for (const segment of location.path) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[segment] : undefined;
  }
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? nonEmpty(value) : undefined;
}

/** The value of cookie `name` in Set-Cookie lines: the text up to the first ";", unquoted. */
function cookieValue(setCookies: string[], name: string): string | undefined {
  for (const line of setCookies) {
    const pair = line.split(';', 1)[0] ?? '';
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    return pair.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

function describeLocation(location: TokenLocation): string {
  return location.from === 'body' ? `body.${location.path.join('.')}` : `${location.from}.${location.name}`;
}

function toResponse(res: Response, bodyText: string, durationMs: number): AuditResponse {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const response: AuditResponse = { status: res.status, headers, bodyText, durationMs };
  if (/[/+]json\b/i.test(headers['content-type'] ?? '')) {
    const json = parseJson(bodyText) ?? parseLooseJson(bodyText);
    if (json !== undefined) response.json = json;
  }
  return response;
}

/**
 * A body labelled JSON that is not, such as a printed Python dict (`{'email': 'a@b.c'}`): read as
 * a YAML flow collection, which accepts single quotes, so its fields can still be judged.
 */
function parseLooseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed) || trimmed.length > 1_000_000) return undefined;
  try {
    const value: unknown = YAML.parse(trimmed);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Keeps an auth scheme ("Bearer ", "Basic ") and mangles the credential after it. */
function mangleHeaderValue(value: string): string {
  const match = /^([A-Za-z][\w-]*\s+)(\S.*)$/s.exec(value);
  return match ? `${match[1] ?? ''}${mangle(match[2] ?? '')}` : mangle(value);
}

/**
 * A wrong credential that looks right: same length, same first few characters, and each later
 * letter or digit replaced by a random one of its kind, so format checks pass and only the secret fails.
 */
function mangle(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.length / 4));
  const candidate = secret.slice(0, keep) + [...secret.slice(keep)].map(randomLike).join('');
  // Only punctuation after the kept prefix (or bad luck) would leave it unchanged.
  return candidate === secret ? `${secret}${randomBytes(6).toString('hex')}` : candidate;
}

function randomLike(char: string): string {
  if (/[0-9]/.test(char)) return String(randomInt(10));
  if (/[a-z]/.test(char)) return String.fromCharCode(97 + randomInt(26));
  if (/[A-Z]/.test(char)) return String.fromCharCode(65 + randomInt(26));
  return char;
}

function mapValues(record: Readonly<Record<string, string>>, map: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** POSIX single quotes: nothing inside is interpreted; a quote is closed, escaped and reopened. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}

function positiveNumber(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) throw new AuditInputError(`${name} must be a positive number`);
  return value;
}

function positiveInteger(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new AuditInputError(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInteger(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) throw new AuditInputError(`${name} must be a whole number`);
  return value;
}
