import { expect } from 'vitest';

/** Fragments that only show up when internals leak: stack frames, paths, SQL, library names and codes. */
export const leakPatterns: RegExp[] = [
  /\bat [\w.<>$]+ \(/, // a stack frame: "at fn (file:line:col)"
  /\n\s+at /,
  /\bat \//,
  /:\d+:\d+\)/,
  /node_modules/,
  /\/work\/|\/src\/|file:\/\//,
  /\bSELECT\b|\bINSERT INTO\b|\bUPDATE "?users|\bWHERE\b/,
  /sqlite|no such table|syntax error/i,
  /postgres|\bpg\b/i,
  /ajv/i,
  /FST_/,
  /fastify|find-my-way/i,
  /kysely/i,
  /Unexpected token|Body cannot be empty|Request body is too large|in JSON at position/,
  // Validator phrasing.
  /must NOT have|must be equal to constant|must match a schema|must match pattern|must have required property|must be (string|number|integer|boolean|object|array)\b/,
];

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const problemKeys = new Set(['type', 'title', 'status', 'detail', 'code', 'errors']);

/**
 * What is wrong with an error answer, if anything: it must be an RFC 9457 problem document with
 * Paceline's code, a request id, the headers its status implies, and no internal wording.
 */
export function problemDefects(answer: Answer): string[] {
  const defects: string[] = [];
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(answer.headers['x-request-id']))) defects.push('no X-Request-Id');
  if (!/^application\/problem\+json/.test(String(answer.headers['content-type']))) defects.push(`content type ${answer.headers['content-type']}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return [...defects, 'body is not JSON'];
  }
  for (const key of ['type', 'title', 'detail', 'code']) if (typeof body[key] !== 'string') defects.push(`no ${key}`);
  if (body.status !== answer.status) defects.push(`status ${String(body.status)} in the body`);
  if (typeof body.code === 'string' && !/^[a-z_]+$/.test(body.code)) defects.push(`code ${body.code}`);
  const extra = Object.keys(body).filter((key) => !problemKeys.has(key));
  if (extra.length > 0) defects.push(`extra members ${extra.join(', ')}`);
  for (const pattern of leakPatterns) if (pattern.test(answer.body)) defects.push(`leaks ${pattern}`);
  if (answer.status === 401 && !answer.headers['www-authenticate']) defects.push('401 without WWW-Authenticate');
  if (answer.status === 405 && !answer.headers.allow) defects.push('405 without Allow');
  if (answer.status === 429 && !answer.headers['retry-after']) defects.push('429 without Retry-After');
  return defects;
}

/** Asserts that an answer is a clean problem document (see problemDefects); returns it parsed. */
export function expectProblemAnswer(answer: Answer, status?: number, code?: string, context = ''): Record<string, unknown> {
  const where = `${context} ${answer.status} ${answer.body.slice(0, 300)}`;
  if (status !== undefined) expect(answer.status, where).toBe(status);
  expect(problemDefects(answer), where).toEqual([]);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  if (code) expect(body.code, where).toBe(code);
  return body;
}
