import { describe, expect, it } from 'vitest';
import { refused, servedData } from '../src/audit/checks/evidence.js';
import type { AuditResponse } from '../src/audit/http-client.js';

function answer(status: number, body: unknown, contentType = 'application/json'): AuditResponse {
  const bodyText = typeof body === 'string' ? body : JSON.stringify(body);
  const response: AuditResponse = { status, headers: { 'content-type': contentType }, bodyText, durationMs: 1 };
  if (contentType.includes('json') && typeof body !== 'string') response.json = body;
  return response;
}

/** How the auditor reads an answer: by what it says, not by its status alone. */
describe('judging answers by effect', () => {
  it.each([
    ['a record', answer(200, { id: 7, email: 'a@example.org' }), true, false],
    ['a list', answer(200, [{ id: 7 }]), true, false],
    ['an empty list', answer(200, []), false, false],
    ['an empty wrapped list', answer(200, { items: [], nextCursor: null }), false, false],
    ['data with a success envelope', answer(200, { status: 'success', data: { id: 7 } }), true, false],
    ['a success message only', answer(200, { status: 'success', message: 'Registered.' }), false, false],
    ['an empty 204', answer(204, ''), false, false],
    ['a 200 with an error', answer(200, { error: 'forbidden' }), false, true],
    ['a 200 with success false', answer(200, { success: false, message: 'not allowed', data: null }), false, true],
    ['a 200 with a status of 403 inside', answer(200, { status: 403, msg: 'forbidden' }), false, true],
    ['a 200 with status "fail"', answer(200, { status: 'fail', message: 'Invalid token.' }), false, true],
    ['a 200 HTML page', answer(200, '<!doctype html><title>App</title>', 'text/html'), false, false],
    ['a 200 plain-text denial', answer(200, 'Access denied', 'text/plain'), false, true],
    ['a 401', answer(401, { error: 'login required' }), false, true],
    ['a 302 to a login page', answer(302, ''), false, true],
    ['an RFC 9457 problem', answer(404, { type: 'urn:x', title: 'Not found', status: 404 }, 'application/problem+json'), false, true],
  ])('%s', (_name, response, served, refusal) => {
    expect(servedData(response)).toBe(served);
    expect(refused(response)).toBe(refusal);
  });
});
