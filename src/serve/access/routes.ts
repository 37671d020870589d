import type { FastifyInstance } from 'fastify';
import { ACCESS_DOC } from './access.doc.js';
import type { Credentials } from './credentials.js';
import { limitsOf } from './limits.js';
import { limitedRead } from './scopes.js';

/** GET /v1/access: who the request's token is and what it may do (the dashboard hides what it may not). */
export function accessRoutes(app: FastifyInstance, credentials: Credentials): void {
  app.get('/v1/access', limitedRead(ACCESS_DOC), async (req) => {
    const limits = limitsOf(req.principal);
    return {
      name: req.principal.name,
      kind: req.principal.kind,
      may: { read: true, admin: req.principal.kind === 'admin' || credentials.adminOpen },
      limits: limits
        ? {
            sources: [...limits.sources],
            projections: [...limits.projections],
            queries: [...limits.queries],
            fixed: limits.fixed,
          }
        : null,
    };
  });
}
