import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { type AuthOptions, createAuthService } from '../auth/auth-service.js';
import type { DataLayer } from '../data/data-layer.js';
import { installAccessGate } from './access-gate.js';
import { installOpenApi } from './openapi.js';
import { answerClientError, answerUnmetExpectation } from './connection-errors.js';
import { installDraining } from './draining.js';
import { answerFrameworkError, installProblemHandling } from './problems.js';
import { createReadinessCheck } from './readiness.js';
import { installRequestLineChecks } from './request-line-checks.js';
import { applyResponseHeaders } from './response-headers.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { classesRoutes } from './routes/classes.js';
import { meRoutes } from './routes/me.js';
import { operationsRoutes } from './routes/operations.js';
import { socialRoutes } from './routes/social.js';
import { usersRoutes } from './routes/users.js';
import { workoutsRoutes } from './routes/workouts.js';
import type { App } from './types.js';
import { installUnmatchedRequests } from './unmatched-requests.js';
import { rejectUnexpectedInput, validatorCompiler } from './validation.js';

export const bodyLimitBytes = 64 * 1024;

export interface AppOptions {
  data: DataLayer;
  logger?: FastifyServerOptions['logger'];
  auth?: AuthOptions;
  trustProxy?: boolean;
  securityContact?: string;
}

/** Log redaction: credentials and personal data never reach a log line. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-access-reason"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
];

/**
 * Builds the HTTP application. The access gate goes in before any route so that a route without
 * an access declaration stops the app from booting.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: bodyLimitBytes,
    trustProxy: options.trustProxy ?? false,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // Every answer, from whichever layer, is a problem document with a request id: the router's
    // errors, the HTTP parser's, Node's own Host check and Fastify's 503 while closing would
    // otherwise each answer in their own format.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    http: { requireHostHeader: false },
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.on('checkExpectation', answerUnmetExpectation);

  app.setValidatorCompiler(validatorCompiler);
  rejectUnexpectedInput(app);
  // JSON only: a text/plain body is a 415, not a string handed to a handler.
  app.removeContentTypeParser(['text/plain']);
  installProblemHandling(app);
  installUnmatchedRequests(app);

  app.addHook('onRequest', async (request, reply) => applyResponseHeaders(request, reply));
  installDraining(app);
  installRequestLineChecks(app);

  const auth = createAuthService(options.data.accounts, options.auth);
  installAccessGate(app, { data: options.data, auth });
  await installOpenApi(app);

  authRoutes(app, auth);
  meRoutes(app, auth);
  usersRoutes(app);
  socialRoutes(app);
  workoutsRoutes(app);
  classesRoutes(app);
  adminRoutes(app);
  operationsRoutes(app, { readiness: createReadinessCheck(options.data), securityContact: options.securityContact ?? 'mailto:security@paceline.invalid' });

  return app;
}
