import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scoped } from './access/scopes.js';

/**
 * CORS for the routes a browser sends events to (Segment's analytics.js, a page's own fetch). Write keys in a
 * page are public by nature, so what limits a browser is the origin: only `server.corsOrigins` are answered
 * with Access-Control-Allow-Origin (an empty list: none; "*": any). Reads never get CORS headers.
 */
export function allowBrowserIngest(
  app: FastifyInstance,
  origins: readonly string[],
  paths: readonly string[],
) {
  const any = origins.includes('*');
  const allowed = (origin: string | undefined): string | null => {
    if (!origin) return null;
    if (any) return '*';
    return origins.includes(origin) ? origin : null;
  };
  const headers = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const origin = allowed(req.headers.origin);
    if (!origin) return false;
    reply.header('access-control-allow-origin', origin);
    if (!any) reply.header('vary', 'Origin');
    return true;
  };
  const set = new Set(paths);
  // A callback hook, not an async one: it runs on every request, ingest's hot path included.
  app.addHook('onRequest', (req, reply, done) => {
    if (req.method === 'POST' && set.has(req.routeOptions.url ?? '')) headers(req, reply);
    done();
  });
  for (const path of paths) {
    app.options(path, scoped('open'), async (req, reply) => {
      if (!headers(req, reply))
        return reply.code(403).send({
          error: `origin ${req.headers.origin ?? '(none)'} may not send events here (server.corsOrigins)`,
        });
      reply.header('access-control-allow-methods', 'POST, OPTIONS');
      reply.header('access-control-allow-headers', 'authorization, content-type, content-encoding');
      reply.header('access-control-max-age', '86400');
      return reply.code(204).send();
    });
  }
}
