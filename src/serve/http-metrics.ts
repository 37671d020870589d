import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/**
 * panoramix_http_request_duration_seconds{method,route,status}: every answered request, by the route's pattern
 * (`/v1/projections/:name`, never the URL itself, so the series stay few) and status; its _count is the number
 * of requests. A request no route matched is counted under route "unmatched".
 */
export function measureHttpRequests(app: FastifyInstance, registry: Registry): void {
  const seconds = new Histogram({
    name: 'panoramix_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status, and how long each took to answer',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', (req, reply, done) => {
    const labels = {
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    seconds.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
