import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Runtime } from '../runtime.js';
import { Credentials } from './access/credentials.js';
import { enforceScopes } from './access/scopes.js';
import { statusRoutes } from './routes/status.js';

/**
 * The HTTP app of a process that serves no API (`work`, `batch`): /status, /api/q/stats and /metrics only, with
 * the same scopes as the full app, so an orchestrator and Prometheus see its connections, backlog and lag.
 */
export async function createStatusApp(runtime: Runtime): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: runtime.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  enforceScopes(app, new Credentials(runtime.config.server));
  await statusRoutes(app, runtime);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: `no route ${req.method} ${req.url.split('?')[0]} (this process serves only /status and /metrics)`,
    }),
  );
  return app;
}
