import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteDoc } from '../openapi/route-doc.js';
import { ANONYMOUS, type Credentials, type Principal } from './credentials.js';

/**
 * What a route needs, declared by every route as `config: { scope }`:
 * - open: nothing (the dashboard's files, CORS preflights);
 * - ingest: a write key of the source, checked by the route itself (it knows the source from the body);
 * - read: a read or admin token (open while no read token is configured);
 * - admin: an admin token, for everything that changes state;
 * - metrics: server.metricsToken or an admin token (open while no metrics token is configured).
 */
export const SCOPES = ['open', 'ingest', 'read', 'admin', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
    /** A read route that applies a limited token's limits itself; other read routes refuse such tokens. */
    limited?: boolean;
    /** What the route tells the OpenAPI document (/openapi.json); every route but HEAD and OPTIONS has one. */
    doc?: RouteDoc;
  }
  interface FastifyRequest {
    /** Who the request's token says it is; set on read, admin and metrics routes. */
    principal: Principal;
  }
}

/** A route as declared: its method, its path pattern and its scope. */
export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly scope: Scope;
  /** A read route that admits limited read tokens (it applies their limits). */
  readonly limited: boolean;
  readonly doc?: RouteDoc;
}
const declared = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/** Every route of an app and its scope (the access test walks them all, so a new route cannot be missed). */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  return declared.get(app) ?? [];
}

/** Shorthands for route options: `app.get(path, scoped('read', doc), handler)`. */
export function scoped(scope: Scope, doc?: RouteDoc) {
  return { config: { scope, ...(doc ? { doc } : {}) } };
}

/** A read route that applies a limited token's limits itself (see limits.ts); it admits limited tokens. */
export function limitedRead(doc?: RouteDoc) {
  return { config: { scope: 'read' as const, limited: true, ...(doc ? { doc } : {}) } };
}

/**
 * Makes every route declare a scope (a route without one fails the app's construction, so a new route
 * cannot be left unguarded by forgetting), and enforces the scopes in one onRequest hook, before a body is
 * read. Call before any route is added.
 */
export function enforceScopes(app: FastifyInstance, credentials: Credentials): void {
  // null, not an object: Fastify refuses a shared reference as a request decoration.
  app.decorateRequest('principal', null as never);
  const routes: DeclaredRoute[] = [];
  declared.set(app, routes);
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (!scope || !(SCOPES as readonly string[]).includes(scope)) {
      throw new Error(
        `route ${String(route.method)} ${route.url} declares no scope: give it config.scope, one of ${SCOPES.join(', ')}`,
      );
    }
    for (const method of [route.method].flat())
      routes.push({
        method,
        url: route.url,
        scope,
        limited: route.config?.limited === true,
        ...(route.config?.doc ? { doc: route.config.doc } : {}),
      });
  });
  // A callback hook, not an async one: it runs on every request, ingest's hot path included.
  app.addHook('onRequest', (req, reply, done) => {
    const scope = req.routeOptions.config?.scope;
    // Undefined only for the not-found handler, which is not a route.
    if (scope === undefined || scope === 'open' || scope === 'ingest') return done();
    // Tokens are never read from URLs (access logs and browser histories keep those): say so plainly.
    if ((req.query as Record<string, unknown> | undefined)?.token !== undefined) {
      deny(reply, {
        status: 400,
        error: 'a token in the URL (?token=) is not accepted; send it as Authorization: Bearer TOKEN',
        needs: scope,
      });
      return;
    }
    const principal = credentials.identify(req.headers.authorization);
    const refusal =
      refuse(scope, principal, credentials) ??
      (principal?.kind === 'read' && principal.limits && !req.routeOptions.config.limited
        ? {
            status: 403 as const,
            error: `this token is limited to some sources, projections and queries; ${req.method} ${req.routeOptions.url} is not among what it may read`,
            needs: 'read' as const,
          }
        : undefined);
    if (refusal) {
      deny(reply, refusal);
      return;
    }
    // An unknown token on a route its scope leaves open counts as none (as before scopes).
    req.principal = principal ?? ANONYMOUS;
    done();
  });
}

interface Refusal {
  readonly status: 400 | 401 | 403;
  readonly error: string;
  /** The scope the route needs, so a client (the dashboard) can tell "sign in" from "not allowed". */
  readonly needs: Scope;
  /** The token is not one Panoramix knows (wrong, expired or revoked): sign in again. */
  readonly invalid?: true;
}

function deny(reply: FastifyReply, r: Refusal): void {
  void reply.code(r.status).send({ error: r.error, needs: r.needs, ...(r.invalid ? { invalid: true } : {}) });
}

function refuse(scope: Scope, p: Principal | undefined, c: Credentials): Refusal | undefined {
  if (scope === 'read') {
    if (c.readsOpen) return undefined;
    if (!p) return { status: 403, error: 'the read token is not valid', needs: 'read', invalid: true };
    if (p.kind === 'anonymous')
      return { status: 401, error: 'a read token is required (Authorization: Bearer TOKEN)', needs: 'read' };
    if (p.kind === 'metrics')
      return {
        status: 403,
        error: 'the metrics token may read /metrics, /status and /api/q/stats only; this needs a read token',
        needs: 'read',
      };
    return undefined;
  }
  if (scope === 'admin') {
    if (c.adminOpen) return undefined;
    if (!p) return { status: 403, error: 'the admin token is not valid', needs: 'admin', invalid: true };
    if (p.kind === 'admin') return undefined;
    if (p.kind === 'anonymous')
      return {
        status: 401,
        error:
          'this changes state: an admin token is required (Authorization: Bearer TOKEN; server.adminTokens)',
        needs: 'admin',
      };
    return {
      status: 403,
      error: `this changes state and needs the admin scope (server.adminTokens); a ${p.kind} token may not`,
      needs: 'admin',
    };
  }
  // metrics
  if (c.metricsOpen) return undefined;
  if (!p) return { status: 403, error: 'the metrics token is not valid', needs: 'metrics', invalid: true };
  if (p.kind === 'metrics' || p.kind === 'admin') return undefined;
  return {
    status: p.kind === 'anonymous' ? 401 : 403,
    error:
      'this needs the metrics token (server.metricsToken) or an admin token (Authorization: Bearer TOKEN)',
    needs: 'metrics',
  };
}
