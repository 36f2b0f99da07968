import type { Scope } from './scopes.js';

/**
 * The access level every route declares. The HTTP layer refuses to boot when a route declares
 * none, enforces the level before any handler runs, and publishes it in the OpenAPI document
 * (`x-paceline-access`) for the auditor. Object-level decisions stay in the data layer.
 *
 * - `public`: anyone, including anonymous callers (a bad token is still rejected).
 * - `user`: an authenticated member holding `scopes`; `session: true` additionally refuses
 *   personal access tokens (account management must come from an interactive login).
 * - `admin`: an admin's login session.
 */
export type RouteAccess =
  | { readonly level: 'public' }
  | { readonly level: 'user'; readonly scopes: readonly Scope[]; readonly session?: boolean }
  | { readonly level: 'admin' };

export const publicAccess: RouteAccess = Object.freeze({ level: 'public' });

export function userAccess(scopes: readonly Scope[], options: { session?: boolean } = {}): RouteAccess {
  return Object.freeze({ level: 'user', scopes: Object.freeze([...scopes]), session: options.session ?? false });
}

export const sessionAccess: RouteAccess = userAccess([], { session: true });

export const adminAccess: RouteAccess = Object.freeze({ level: 'admin' });
