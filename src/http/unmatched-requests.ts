import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../errors.js';
import { sendProblem } from './problems.js';

/** The order methods are listed in `Allow`. */
const methodOrder = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface RouteShape {
  segments: string[];
  methods: string[];
}

function segmentsOf(path: string): string[] {
  return path.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
}

/** `:name` matches one non-empty segment, a trailing `*` the rest, anything else itself. */
function matches(route: RouteShape, segments: string[]): boolean {
  for (let index = 0; index < route.segments.length; index++) {
    const pattern = route.segments[index]!;
    if (pattern === '*' && index === route.segments.length - 1) return true;
    const segment = segments[index];
    if (segment === undefined) return false;
    if (pattern.startsWith(':') ? segment === '' : pattern !== segment) return false;
  }
  return segments.length === route.segments.length;
}

/**
 * Answers requests that no route takes: 404 for a path Paceline does not serve, 405 with `Allow`
 * for a method that path does not support (RFC 9110 §15.5.6), and, for OPTIONS, 204 with `Allow`.
 * The methods come from the route table alone, so the answer is the same whatever object a path
 * names: it tells nothing about existence. Must be installed before any route is added.
 */
export function installUnmatchedRequests(app: FastifyInstance): void {
  const routes: RouteShape[] = [];
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map((method) => method.toUpperCase());
    routes.push({ segments: route.url.split('/'), methods });
  });

  function allowedMethods(url: string): string[] {
    const segments = segmentsOf(url.split('?')[0] ?? '');
    const found = new Set(routes.filter((route) => matches(route, segments)).flatMap((route) => route.methods));
    if (found.size === 0) return [];
    if (found.has('GET')) found.add('HEAD');
    found.add('OPTIONS');
    return methodOrder.filter((method) => found.has(method));
  }

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const allowed = allowedMethods(request.url);
    if (allowed.length === 0) return sendProblem(reply, notFound());
    reply.header('allow', allowed.join(', '));
    if (request.method === 'OPTIONS') return reply.code(204).send();
    const detail = 'This resource does not support the method; the Allow header lists those it does.';
    return sendProblem(reply, new AppError('method_not_allowed', { detail }));
  });
}
