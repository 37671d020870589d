import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { isConnectionError } from '../core/connection-errors.js';
import type { Runtime } from '../runtime.js';
import { AuditLog, auditAdminActions } from './access/audit.js';
import { Credentials } from './access/credentials.js';
import { accessRoutes } from './access/routes.js';
import { enforceScopes } from './access/scopes.js';
import { tokenRoutes } from './access/token-routes.js';
import { TokenStore } from './access/token-store.js';
import { allowBrowserIngest } from './cors.js';
import { measureHttpRequests } from './http-metrics.js';
import { openApiRoutes } from './openapi/routes.js';
import { decodeRequestBodies } from './request-encoding.js';
import type { RoutePlugin } from './route-plugin.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventReadRoutes } from './routes/events-read.js';
import { ingestRoutes } from './routes/ingest.js';
import { SEGMENT_PATHS, segmentRoutes } from './routes/segment.js';
import { statusRoutes } from './routes/status.js';

/** Routes of the core (intake, status, events): before every feature's; the dashboard's come last. */
const CORE_ROUTES: readonly RoutePlugin[] = [ingestRoutes, segmentRoutes, statusRoutes, eventReadRoutes];

/** Builds the HTTP app (collector, API, status) without listening: tests use inject(), the CLI listens. */
export async function createApp(runtime: Runtime): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: runtime.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request log lines would cost more than the ingest itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: runtime.config.server.bodyLimit,
    // Off unless configured: a forwarded header from anyone else would let a client choose its own address.
    // (Fastify takes any of the config's forms; its overloads only type-check one member of the union.)
    trustProxy: runtime.config.server.trustProxy as boolean,
    return503OnClosing: true,
  });
  // Bodies arrive raw: the collector decodes UTF-8 and parses itself, so it can say which line failed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  decodeRequestBodies(app);
  measureHttpRequests(app, runtime.telemetry.registry);
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: `body is larger than the limit of ${runtime.config.server.bodyLimit} bytes (server.bodyLimit)`,
      });
    }
    // A read whose store is out of reach is the store's outage, not a bug: the client may retry.
    if (isConnectionError(err)) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: `the store is unreachable (${err.message}); retry shortly` });
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err, url: req.url, ip: req.ip }, 'request failed');
    return reply
      .code(status)
      .send({ error: status >= 500 ? 'internal error; see the server log' : err.message });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );
  // Before any route: every route must declare its scope, and the scopes are enforced in one hook.
  const credentials = new Credentials(runtime.config.server);
  enforceScopes(app, credentials);
  accessRoutes(app, credentials);
  const audit = new AuditLog(runtime.store);
  await audit.migrate();
  auditAdminActions(app, audit);
  await tokenRoutes(app, credentials, new TokenStore(runtime.store));
  // Before the routes, so its hook applies to them.
  allowBrowserIngest(app, runtime.config.server.corsOrigins, [
    '/v1/events',
    ...SEGMENT_PATHS.map(([path]) => path),
    '/api/event',
    '/api/event/bulk',
  ]);
  // Said once at start, where it can be seen, because an open read API is a choice that should not go unnoticed.
  if (runtime.config.server.readTokens.length === 0)
    runtime.logger.warn('server.readTokens is empty: anyone who can reach the server can read its data');
  if (credentials.adminOpen)
    runtime.logger.warn(
      'no read or admin token is configured: anyone can rebuild, run reports, replay and discard',
    );
  openApiRoutes(app);
  for (const routes of CORE_ROUTES) await routes(app, runtime);
  for (const feature of runtime.features) await feature.routes?.(app);
  await dashboardRoutes(app, runtime);
  return app;
}
