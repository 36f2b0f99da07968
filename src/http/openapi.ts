import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { publicAccess, type RouteAccess } from '../authz/access.js';
import { declareScopeAccess } from './access-gate.js';
import { docsContentSecurityPolicy } from './docs-csp.js';

/**
 * The security requirement and Paceline extensions an access declaration implies. OpenAPI 3.1
 * lets non-OAuth schemes list required roles; Paceline lists the scopes there.
 */
export function openApiSecurity(access: RouteAccess) {
  switch (access.level) {
    case 'public':
      return { security: [{}], 'x-paceline-access': 'public', 'x-paceline-scopes': [], 'x-paceline-session-only': false };
    case 'admin':
      return { security: [{ bearerAuth: [] }], 'x-paceline-access': 'admin', 'x-paceline-scopes': [], 'x-paceline-session-only': true };
    case 'user':
      return {
        security: [{ bearerAuth: [...access.scopes] }],
        'x-paceline-access': 'user',
        'x-paceline-scopes': [...access.scopes],
        'x-paceline-session-only': access.session ?? false,
      };
  }
}

/** OpenAPI 3.1 generated from the route schemas, and interactive docs served from local files. */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Paceline API',
        version: '1.0.0',
        description:
          'A connected-fitness platform API. Every object and field is authorized per viewer; ' +
          'objects a caller may not see answer 404 exactly like absent ones.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/v1/auth/login, or a personal access token.' },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const access = route.config?.access;
      const extra = access ? openApiSecurity(access) : {};
      return { schema: { ...(schema ?? {}), ...extra } as typeof schema, url };
    },
  });

  await app.register(async (docs) => {
    // Routes of the docs plugin (its UI files) are public by declaration, like /openapi.json.
    declareScopeAccess(docs, publicAccess);
    // The policy depends on the request's scheme, so it is set here rather than by the plugin
    // (whose static policy would send plain-HTTP browsers to https). `protocol` honours
    // X-Forwarded-Proto only with trustProxy.
    docs.addHook('onRequest', async (request, reply) => {
      reply.header('content-security-policy', docsContentSecurityPolicy(docs.swaggerCSP, request.protocol === 'https'));
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true }, staticCSP: false });
  });

  app.get('/openapi.json', { config: { access: publicAccess }, schema: { hide: true } }, async () => app.swagger());
}
