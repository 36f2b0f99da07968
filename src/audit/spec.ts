import { readFile } from 'node:fs/promises';
import path from 'node:path';
import $RefParser from '@apidevtools/json-schema-ref-parser';
import YAML from 'yaml';
import { AuditInputError } from './audit-error.js';

/** A JSON Schema as found in the spec, `$ref`s already replaced (possibly cyclic, always frozen). */
export type Schema = Readonly<Record<string, unknown>>;

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: Schema | undefined;
}

export interface RequestBody {
  readonly contentType: string;
  readonly schema: Schema | undefined;
  readonly required: boolean;
}

export interface ResponseShape {
  readonly contentType?: string;
  readonly schema?: Schema;
  /** OpenAPI links: which later operation takes which value of this answer. */
  readonly links?: readonly ResponseLink[];
}

/** A link to an operation (by `operationId`) with its parameters as runtime expressions (`$response.body#/id`). */
export interface ResponseLink {
  readonly operationId: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/** One security requirement: scheme name → scopes. */
export type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

export interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string | undefined;
  readonly description: string | undefined;
  readonly parameters: readonly Parameter[];
  readonly requestBody: RequestBody | undefined;
  readonly responses: Readonly<Record<string, ResponseShape>>;
  /** Alternatives, any one of which suffices; empty means no credential is required. */
  readonly security: readonly SecurityRequirement[];
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface ApiSpec {
  readonly title: string;
  readonly version: string;
  readonly openapi: string;
  readonly operations: readonly Operation[];
}

export interface LoadSpecOptions {
  fetch?: typeof fetch;
  /** Per request (the document and each external `$ref`). */
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const parameterLocations = new Set(['path', 'query', 'header', 'cookie']);
const defaultTimeoutMs = 15_000;
/** Far above any real spec; stops a hostile or confused server from filling memory. */
const maxDocumentBytes = 32 * 1024 * 1024;

/**
 * Loads an OpenAPI 3.0/3.1 document from a file or an http(s) URL, resolves every `$ref` and
 * returns the operations in a normalized, frozen form.
 */
export async function loadSpec(source: string, options: LoadSpecOptions = {}): Promise<ApiSpec> {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const isUrl = /^https?:\/\//i.test(source);
  const location = isUrl ? source : path.resolve(source);
  const label = source;

  const text = isUrl ? await fetchText(source, fetchImpl, timeoutMs) : await readSpecFile(location, label);
  const document = parseDocument(text, label);
  const openapi = checkVersion(document, label);
  const resolved = await dereference(location, document, isUrl, fetchImpl, timeoutMs, label);
  return deepFreeze(buildSpec(resolved, openapi, label));
}

/**
 * Whether `operation` is selected by an `--include`/`--exclude` pattern: `METHOD /path/template`
 * (method case-insensitive) or an operationId, `*` matching any run of characters. A bare
 * `/path/template` (no method) matches every method on that path, a convenience beyond AUDIT.md.
 */
export function matchesPattern(operation: Pick<Operation, 'method' | 'path' | 'operationId'>, pattern: string): boolean {
  const trimmed = pattern.trim();
  const spaced = /^(\S+)\s+(\S.*)$/.exec(trimmed);
  if (spaced) {
    const [, methodPattern = '', pathPattern = ''] = spaced;
    return wildcard(methodPattern, 'i').test(operation.method) && wildcard(pathPattern, '').test(operation.path);
  }
  if (trimmed.startsWith('/')) return wildcard(trimmed, '').test(operation.path);
  return wildcard(trimmed, '').test(operation.operationId);
}

function wildcard(pattern: string, flags: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, flags);
}

async function readSpecFile(file: string, label: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new AuditInputError(`spec ${label}: ${reason}`, { cause: error });
  }
}

async function fetchText(url: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    throw new AuditInputError(`spec ${url}: cannot fetch: ${reason}`, { cause: error });
  }
  if (!response.ok) throw new AuditInputError(`spec ${url}: cannot fetch: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > maxDocumentBytes) throw new AuditInputError(`spec ${url}: larger than ${maxDocumentBytes} bytes`);
  const text = await response.text();
  if (text.length > maxDocumentBytes) throw new AuditInputError(`spec ${url}: larger than ${maxDocumentBytes} bytes`);
  return text;
}

/** JSON or YAML, decided by content: a `.json` URL may serve YAML and a file may have no extension. */
function parseDocument(text: string, label: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(body)) {
    try {
      return JSON.parse(body);
    } catch {
      // Flow-style YAML also starts with a brace; let the YAML parser decide and report.
    }
  }
  try {
    return YAML.parse(body);
  } catch (error) {
    throw new AuditInputError(`spec ${label}: neither JSON nor YAML: ${firstLine((error as Error).message)}`, { cause: error });
  }
}

function checkVersion(document: unknown, label: string): string {
  if (!isObject(document)) throw new AuditInputError(`spec ${label}: not an OpenAPI document (the top level is not an object)`);
  if ('swagger' in document) {
    throw new AuditInputError(`spec ${label}: Swagger ${String(document.swagger)} is not supported; convert it to OpenAPI 3.0 or 3.1`);
  }
  const version = document.openapi;
  if (version === undefined) throw new AuditInputError(`spec ${label}: not an OpenAPI document (no "openapi" field at #/openapi)`);
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    throw new AuditInputError(`spec ${label}: #/openapi is ${JSON.stringify(version)}; only OpenAPI 3.0.x and 3.1.x are supported`);
  }
  return version;
}

/**
 * Resolves every `$ref` in place. Cycles stay as shared objects (`circular: true`), so the result
 * may be cyclic but never grows. A spec fetched from a URL may only reference http(s) documents:
 * a remote spec must not make the auditor read local files.
 */
async function dereference(
  location: string,
  document: unknown,
  isUrl: boolean,
  fetchImpl: typeof fetch,
  timeoutMs: number,
  label: string,
): Promise<Json> {
  const contentParser = {
    order: 1,
    canParse: true,
    parse: (file: { url: string; data: string | Buffer }) => parseDocument(file.data.toString(), file.url),
  };
  const httpResolver = {
    order: 1,
    canRead: /^https?:\/\//i,
    read: (file: { url: string }) => fetchText(file.url, fetchImpl, timeoutMs),
  };
  try {
    const result = await $RefParser.dereference(location, document as Json, {
      parse: { json: false, yaml: false, text: false, binary: false, content: contentParser },
      // `file: true` would replace the built-in resolver rather than enable it, so it is only ever switched off.
      resolve: { ...(isUrl ? { file: false } : {}), http: false, auditHttp: httpResolver },
      dereference: { circular: true },
    });
    return result as Json;
  } catch (error) {
    if (error instanceof AuditInputError) throw error;
    throw new AuditInputError(`spec ${label}: cannot resolve $ref: ${firstLine((error as Error).message)}`, { cause: error });
  }
}

function buildSpec(document: Json, openapi: string, label: string): ApiSpec {
  const info = isObject(document.info) ? document.info : {};
  const paths = document.paths ?? {};
  if (!isObject(paths)) throw new AuditInputError(`spec ${label}: #/paths is not an object`);
  const globalSecurity = document.security;
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) throw new AuditInputError(`spec ${label}: ${pointer('paths', template)} is not an object`);
    const itemParameters = readParameters(item.parameters, label, ['paths', template, 'parameters']);
    for (const method of httpMethods) {
      const raw = item[method];
      if (raw === undefined) continue;
      const at = ['paths', template, method];
      if (!isObject(raw)) throw new AuditInputError(`spec ${label}: ${pointer(...at)} is not an object`);
      operations.push(buildOperation(raw, method, template, itemParameters, globalSecurity, label, at));
    }
  }
  return {
    title: typeof info.title === 'string' ? info.title : '',
    version: typeof info.version === 'string' ? info.version : '',
    openapi,
    operations,
  };
}

function buildOperation(
  raw: Json,
  method: string,
  template: string,
  itemParameters: Parameter[],
  globalSecurity: unknown,
  label: string,
  at: string[],
): Operation {
  const upper = method.toUpperCase();
  const own = readParameters(raw.parameters, label, [...at, 'parameters']);
  // Operation-level parameters override path-level ones with the same name and location.
  const key = (p: Parameter) => `${p.in}\u0000${p.name}`;
  const ownKeys = new Set(own.map(key));
  const declared = [...itemParameters.filter((p) => !ownKeys.has(key(p))), ...own];
  // Specs often forget to declare a path's `{placeholders}`: they are path parameters all the same.
  const implicit = [...template.matchAll(/\{([^}/]+)\}/g)]
    .map((m) => m[1] as string)
    .filter((name) => !declared.some((p) => p.in === 'path' && p.name === name))
    .map((name): Parameter => ({ name, in: 'path', required: true, schema: undefined }));
  const parameters = [...declared, ...implicit];
  const extensions = Object.fromEntries(Object.entries(raw).filter(([name]) => name.startsWith('x-')));
  return {
    method: upper,
    path: template,
    operationId: typeof raw.operationId === 'string' && raw.operationId !== '' ? raw.operationId : `${upper} ${template}`,
    tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
    summary: typeof raw.summary === 'string' ? raw.summary : undefined,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    parameters,
    requestBody: readRequestBody(raw.requestBody),
    responses: readResponses(raw.responses),
    security: readSecurity(raw.security !== undefined ? raw.security : globalSecurity, label, [...at, 'security']),
    extensions,
  };
}

function readParameters(value: unknown, label: string, at: string[]): Parameter[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new AuditInputError(`spec ${label}: ${pointer(...at)} is not an array`);
  return value.map((raw, index) => {
    const here = pointer(...at, String(index));
    if (!isObject(raw) || typeof raw.name !== 'string' || typeof raw.in !== 'string') {
      throw new AuditInputError(`spec ${label}: ${here} is not a parameter with a string "name" and "in"`);
    }
    if (!parameterLocations.has(raw.in)) throw new AuditInputError(`spec ${label}: ${here}/in is ${JSON.stringify(raw.in)}; expected path, query, header or cookie`);
    return {
      name: raw.name,
      in: raw.in as Parameter['in'],
      // Path parameters are always required, whatever the document says.
      required: raw.in === 'path' || raw.required === true,
      schema: isObject(raw.schema) ? raw.schema : firstContentSchema(raw.content),
    };
  });
}

function readRequestBody(value: unknown): RequestBody | undefined {
  if (!isObject(value) || !isObject(value.content)) return undefined;
  const contentType = Object.keys(value.content).find(isJsonMediaType);
  if (contentType === undefined) return undefined;
  const media = value.content[contentType];
  return { contentType, schema: isObject(media) && isObject(media.schema) ? media.schema : undefined, required: value.required === true };
}

function readResponses(value: unknown): Record<string, ResponseShape> {
  if (!isObject(value)) return {};
  const responses: Record<string, ResponseShape> = {};
  for (const [status, response] of Object.entries(value)) {
    if (status.startsWith('x-')) continue;
    const content = isObject(response) && isObject(response.content) ? response.content : {};
    // JSON is what the checks read; otherwise the first declared type still says what comes back.
    const contentType = Object.keys(content).find(isJsonMediaType) ?? Object.keys(content)[0];
    const media = contentType === undefined ? undefined : content[contentType];
    const shape: { contentType?: string; schema?: Schema; links?: ResponseLink[] } = {};
    if (contentType !== undefined) shape.contentType = contentType;
    if (isObject(media) && isObject(media.schema)) shape.schema = media.schema;
    const links = isObject(response) ? readLinks(response.links) : [];
    if (links.length > 0) shape.links = links;
    responses[status] = shape;
  }
  return responses;
}

/** Links by `operationId` with string parameter expressions; `operationRef` links are left out. */
function readLinks(value: unknown): ResponseLink[] {
  if (!isObject(value)) return [];
  const links: ResponseLink[] = [];
  for (const link of Object.values(value)) {
    if (!isObject(link) || typeof link.operationId !== 'string' || !isObject(link.parameters)) continue;
    const parameters = Object.fromEntries(Object.entries(link.parameters).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    links.push({ operationId: link.operationId, parameters });
  }
  return links;
}

/** `[]`, absence, or any empty alternative (`{}`) mean the operation can be called without credentials. */
function readSecurity(value: unknown, label: string, at: string[]): SecurityRequirement[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new AuditInputError(`spec ${label}: ${pointer(...at)} is not an array`);
  const requirements = value.map((entry, index) => {
    if (!isObject(entry)) throw new AuditInputError(`spec ${label}: ${pointer(...at, String(index))} is not an object`);
    return Object.fromEntries(
      Object.entries(entry).map(([scheme, scopes]) => [scheme, Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : []]),
    );
  });
  return requirements.some((r) => Object.keys(r).length === 0) ? [] : requirements;
}

function firstContentSchema(content: unknown): Schema | undefined {
  if (!isObject(content)) return undefined;
  const media = Object.values(content)[0];
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
}

function isJsonMediaType(type: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json(?:\s*;.*)?$/i.test(type.trim());
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 6901 pointer, so messages point at the exact place in the document. */
function pointer(...segments: string[]): string {
  return `#/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function firstLine(message: string): string {
  return message.split(/\r?\n/)[0] ?? message;
}

/** Freezes the whole graph; the visited set makes it safe on the cycles left by circular `$ref`s. */
function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const child of Object.values(value)) deepFreeze(child, seen);
  return Object.freeze(value);
}
