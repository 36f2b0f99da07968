import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { RouteAccess } from '../authz/access.js';
import { isScope } from '../authz/scopes.js';
import { type Viewer, anonymousViewer } from '../authz/viewer.js';
import type { DataLayer, ViewerData } from '../data/data-layer.js';
import type { RequestContext } from '../data/request-context.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route: the app refuses to boot without it. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    viewer: Viewer;
    /** Data access scoped to `viewer`: the only data access a handler has. */
    data: ViewerData;
    context: RequestContext;
  }
}

/** Set on a plugin's encapsulated instance, this declares the access of every route the plugin adds. */
export const scopeAccess = Symbol('paceline.scopeAccess');

type ScopedInstance = FastifyInstance & { [scopeAccess]?: RouteAccess };

/** Declares the access level of all routes a third-party plugin registers inside `instance`. */
export function declareScopeAccess(instance: FastifyInstance, access: RouteAccess): void {
  (instance as ScopedInstance)[scopeAccess] = access;
}

/** A declaration built by hand (not by src/authz/access.ts) must still be one of the known shapes. */
function isWellFormed(access: RouteAccess): boolean {
  const candidate = access as { level?: unknown; scopes?: unknown; session?: unknown };
  if (candidate.level === 'public' || candidate.level === 'admin') return true;
  return (
    candidate.level === 'user' &&
    Array.isArray(candidate.scopes) &&
    candidate.scopes.every((scope) => typeof scope === 'string' && isScope(scope)) &&
    (candidate.session === undefined || typeof candidate.session === 'boolean')
  );
}

const bearerPattern = /^Bearer +([^\s]+) *$/i;

function requireAccess(access: RouteAccess, viewer: Viewer): void {
  if (access.level === 'public') return;
  if (viewer.kind !== 'user') throw new AppError('unauthorized', { detail: 'Sign in and send the token as `Authorization: Bearer <token>`.' });
  if (access.level === 'admin') {
    if (viewer.credentialKind !== 'session') throw new AppError('insufficient_scope', { detail: 'Administration needs a login session, not a personal access token.' });
    if (viewer.role !== 'admin') throw new AppError('forbidden', { detail: 'This operation needs an administrator.' });
    return;
  }
  if (access.session && viewer.credentialKind !== 'session') {
    throw new AppError('insufficient_scope', { detail: 'This operation needs a login session, not a personal access token.' });
  }
  const missing = access.scopes.filter((scope) => !viewer.scopes.has(scope));
  if (missing.length > 0) throw new AppError('insufficient_scope', { detail: `The token lacks the scope ${missing.join(', ')}.` });
}

function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 256) : null };
}

/**
 * The access gate. At registration, every route must declare its access (deny by default: a route
 * without a declaration stops the app from booting). At request time, the bearer token is resolved
 * once, the declared level is enforced before parsing or validation, and the handler receives
 * data access scoped to the resulting viewer.
 */
export function installAccessGate(app: FastifyInstance, deps: { data: DataLayer; auth: AuthService }): void {
  app.decorateRequest('viewer', null as never);
  app.decorateRequest('data', null as never);
  app.decorateRequest('context', null as never);

  app.addHook('onRoute', function refuseUndeclaredRoutes(route) {
    const access = route.config?.access ?? (this as ScopedInstance)[scopeAccess];
    const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
    if (!access) {
      throw new Error(`Route ${methods} ${route.url} declares no access level: set config.access (public, user or admin).`);
    }
    if (!isWellFormed(access)) {
      throw new Error(`Route ${methods} ${route.url} declares a malformed access level ${JSON.stringify(access)}.`);
    }
    route.config = { ...route.config, access };
  });

  app.addHook('onRequest', async (request) => {
    const context = requestContext(request);
    let viewer: Viewer = anonymousViewer;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const secret = bearerPattern.exec(header)?.[1];
      const resolved = secret === undefined ? null : await deps.auth.authenticate(secret);
      // A bad token is an error even where none is needed: never silently downgraded to anonymous.
      if (!resolved) throw new AppError('unauthorized', { detail: 'The bearer token is malformed, expired or revoked.' });
      viewer = resolved;
    }
    // Unmatched URLs have no declaration; they answer 404 from the not-found handler.
    const access = request.routeOptions.config.access;
    if (access) requireAccess(access, viewer);
    request.viewer = viewer;
    request.context = context;
    request.data = deps.data.forViewer(viewer, context);
  });
}
