import type { FastifyInstance } from 'fastify';
import type { Credentials } from './credentials.js';
import { scoped } from './scopes.js';

/** GET /v1/access: who the request's token is and what it may do (the dashboard hides what it may not). */
export function accessRoutes(app: FastifyInstance, credentials: Credentials): void {
  app.get('/v1/access', scoped('read'), async (req) => ({
    name: req.principal.name,
    kind: req.principal.kind,
    may: { read: true, admin: req.principal.kind === 'admin' || credentials.adminOpen },
  }));
}
