import { describe, expect, it } from 'vitest';
import { looksAdministrative } from '../src/audit/checks/bfla.js';
import { isRegistration, looksDestructive } from '../src/audit/checks/context.js';
import { parameterKind, pathTemplates, referenceParameters, referencesInUrl } from '../src/audit/references.js';
import type { Operation } from '../src/audit/spec.js';

function op(method: string, path: string, extra: Partial<Operation> = {}): Operation {
  return { method, path, operationId: `${method} ${path}`, tags: [], summary: undefined, description: undefined, parameters: [], requestBody: undefined, responses: {}, security: [], extensions: {}, ...extra };
}

/** How operations are classified before anything is sent: what is administrative, destructive, a sign-up. */
describe('classifying operations', () => {
  it.each([
    ['an /admin path', op('GET', '/api/admin/users'), true],
    ['an admin tag', op('GET', '/reports', { tags: ['Admin'] }), true],
    ['an admin scope', op('POST', '/reports', { security: [{ oauth: ['admin:write'] }] }), true],
    ["Paceline's access extension", op('GET', '/x', { extensions: { 'x-paceline-access': 'admin' } }), true],
    ['a member access extension, even on an admin-looking path', op('GET', '/admin-guide', { extensions: { 'x-paceline-access': 'user' } }), false],
    ['x-roles listing only admins', op('DELETE', '/users/{id}', { extensions: { 'x-roles': ['admin', 'superuser'] } }), true],
    ['x-roles open to members too', op('GET', '/users/{id}', { extensions: { 'x-roles': ['admin', 'member'] } }), false],
    ['x-admin: true', op('POST', '/flags', { extensions: { 'x-admin': true } }), true],
    ['a summary that says admins only', op('DELETE', '/users/v1/{username}', { summary: 'Deletes user by username (Only Admins)' }), true],
    ['a description that requires the admin role', op('POST', '/flags', { description: 'Requires admin role.' }), true],
    ['a summary that merely mentions admins', op('GET', '/me/security-activity', { summary: 'Every admin access to your data' }), false],
    ['an ordinary read', op('GET', '/users/{id}'), false],
    ['a word that merely contains admin', op('GET', '/administrators-contact'), false],
  ])('administrative: %s', (_name, operation, expected) => {
    expect(looksAdministrative(operation)).toBe(expected);
  });

  it.each([
    [op('DELETE', '/notes/{id}'), true],
    [op('GET', '/createdb'), true],
    [op('POST', '/auth/logout'), true],
    [op('PUT', '/users/{username}/password'), true],
    [op('POST', '/cache/purge'), true],
    [op('POST', '/notes'), false],
    [op('PATCH', '/notes/{id}'), false],
  ])('destructive: %s %s', (operation, expected) => {
    expect(looksDestructive(operation)).toBe(expected);
  });

  it('knows which parameters name objects, and of what kind', () => {
    const param = (name: string, where: 'path' | 'query') => ({ name, in: where, required: true, schema: undefined });
    const kinds = (operation: Operation) => referenceParameters(operation).map((p) => `${p.name}:${parameterKind(operation, p)}`);
    expect(kinds(op('GET', '/workouts/{id}', { parameters: [param('id', 'path')] }))).toEqual(['id:workout']);
    expect(kinds(op('GET', '/orders', { parameters: [param('id', 'query'), param('limit', 'query')] }))).toEqual(['id:order']);
    expect(kinds(op('GET', '/invoices', { parameters: [param('invoiceId', 'query'), param('q', 'query')] }))).toEqual(['invoiceId:invoice']);
    expect(kinds(op('GET', '/books/v1/{book_title}', { parameters: [param('book_title', 'path')] }))).toEqual(['book_title:name:booktitle']);
    expect(kinds(op('GET', '/users/by-username/{username}', { parameters: [param('username', 'path')] }))).toEqual(['username:username']);
  });

  it('reads references out of links on the target, its path prefix removed, and nowhere else', () => {
    const templates = pathTemplates([op('GET', '/docs/{docKey}'), op('GET', '/teams/{teamId}/members/{memberId}'), op('GET', '/docs')]);
    const target = new URL('http://127.0.0.1:3333/authz1');
    expect(referencesInUrl('/docs/a%20b', target, templates)).toEqual([{ kind: 'url:/docs/{docKey}:docKey', value: 'a b' }]);
    expect(referencesInUrl('http://127.0.0.1:3333/authz1/teams/7/members/9?x=1', target, templates)).toEqual([
      { kind: 'url:/teams/{teamId}/members/{memberId}:teamId', value: '7' },
      { kind: 'url:/teams/{teamId}/members/{memberId}:memberId', value: '9' },
    ]);
    expect(referencesInUrl('http://elsewhere.example/docs/x', target, templates)).toEqual([]);
    expect(referencesInUrl('//127.0.0.1:3333/docs/x', target, templates)).toEqual([]);
    expect(referencesInUrl('not a link', target, templates)).toEqual([]);
  });

  it('knows a sign-up by its name and its password field', () => {
    const body = (properties: Record<string, unknown>) => ({ contentType: 'application/json', required: true, schema: { type: 'object', properties } });
    expect(isRegistration(op('POST', '/users/v1/register', { requestBody: body({ username: {}, password: {} }) }))).toBe(true);
    expect(isRegistration(op('POST', '/signup', { requestBody: body({ email: {}, pwd: {} }) }))).toBe(true);
    expect(isRegistration(op('POST', '/register', { requestBody: body({ eventId: {} }) }))).toBe(false);
    expect(isRegistration(op('POST', '/notes', { requestBody: body({ password: {} }) }))).toBe(false);
  });
});
