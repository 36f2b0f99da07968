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

/**
 * An error answer is an RFC 9457 problem document with Paceline's code, a request id, and no
 * internal wording. Returns the parsed document.
 */
export function expectProblemAnswer(answer: Answer, status?: number, code?: string, context = ''): Record<string, unknown> {
  const where = `${context} ${answer.status} ${answer.body.slice(0, 300)}`;
  if (status !== undefined) expect(answer.status, where).toBe(status);
  expect(answer.headers['x-request-id'], where).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.headers['content-type'], where).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body, where).toMatchObject({ type: expect.any(String), title: expect.any(String), status: answer.status, detail: expect.any(String), code: expect.any(String) });
  expect(Object.keys(body).every((key) => ['type', 'title', 'status', 'detail', 'code', 'errors'].includes(key)), where).toBe(true);
  if (code) expect(body.code, where).toBe(code);
  for (const pattern of leakPatterns) expect(answer.body, `${where}: leaks ${pattern}`).not.toMatch(pattern);
  return body;
}
