import type { DeclaredRoute, Scope } from '../access/scopes.js';
import { ERROR_SCHEMA, type JsonSchema, type ResponseDoc, type RouteDoc } from './route-doc.js';

/**
 * The methods documented: HEAD is left out (Fastify's own twin of every GET), and so is OPTIONS (the CORS
 * preflights), and the methods OpenAPI has no word for (QUERY…, which a catch-all `app.all` also takes).
 */
const DOCUMENTED_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'];
export const documented = (method: string) => DOCUMENTED_METHODS.includes(method);

/** Who may call a route of each scope, as OpenAPI security requirements (any one of them suffices). */
const SECURITY: Record<Scope, readonly Record<string, string[]>[]> = {
  open: [],
  ingest: [{ writeKey: [] }, {}],
  read: [{ readToken: [] }, { adminToken: [] }],
  admin: [{ adminToken: [] }],
  metrics: [{ metricsToken: [] }, { adminToken: [] }],
};

const SECURITY_SCHEMES = {
  writeKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      "A source's write key (sources.NAME.writeKeys). Checked by the route itself: a source without write keys takes events without one, and an unknown key is refused with 401.",
  },
  readToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A read token (server.readTokens, or one made with POST /v1/tokens). While none is configured, reads are open. A limited read token is admitted only by the routes marked x-panoramix-limited, which apply its limits.',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An admin token (server.adminTokens): needed for everything that changes state, and admitted wherever a read or metrics token is.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'server.metricsToken. While none is configured, /metrics, /status and /api/q/stats are open.',
  },
};

const REFUSAL_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error', 'needs'],
  properties: {
    error: { type: 'string' },
    needs: { type: 'string', enum: ['read', 'admin', 'metrics'], description: 'the scope the route needs' },
    invalid: { const: true, description: 'the token is not one Panoramix knows: sign in again' },
  },
};

/** A route the document cannot describe: it declares no doc. */
export function undocumented(routes: readonly DeclaredRoute[]): string[] {
  return routes.filter((r) => documented(r.method) && !r.doc).map((r) => `${r.method} ${r.url}`);
}

/** The OpenAPI 3.1 document of the routes an app registered (scopes.ts collects them as they are added). */
export function openApiDocument(routes: readonly DeclaredRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const r of routes) {
    if (!documented(r.method) || !r.doc) continue;
    const { path, names } = openApiPath(r.url);
    for (const t of r.doc.tags) tags.add(t);
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = operation(r, r.doc, names);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Panoramix',
      version,
      description:
        "Panoramix's HTTP API: the collector, the reads (events, projections, queries, reports, lifecycles, matching), the administration, and the server's status. This document is made from the routes this server registered, so it lists what its configuration turns on.",
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: { Error: ERROR_SCHEMA, Refusal: REFUSAL_SCHEMA },
    },
  };
}

/** /v1/projections/:name → /v1/projections/{name}; a trailing * (a catch-all) becomes {path}. */
function openApiPath(url: string): { path: string; names: string[] } {
  const names: string[] = [];
  const path = url
    .replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
      names.push(name);
      return `{${name}}`;
    })
    .replace(/\*$/, () => {
      names.push('path');
      return '{path}';
    });
  return { path, names };
}

function operation(r: DeclaredRoute, doc: RouteDoc, pathNames: readonly string[]): Record<string, unknown> {
  const parameters = [
    ...pathNames.map((name) => {
      const { description, ...schema } = property(doc.params, name) ?? { type: 'string' };
      return { name, in: 'path', required: true, ...(description ? { description } : {}), schema };
    }),
    ...Object.entries((doc.querystring?.properties ?? {}) as Record<string, JsonSchema>).map(
      ([name, schema]) => {
        const { description, ...rest } = schema;
        return {
          name,
          in: 'query',
          required: ((doc.querystring?.required ?? []) as string[]).includes(name),
          ...(description ? { description } : {}),
          schema: rest,
        };
      },
    ),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, res] of Object.entries(doc.response)) responses[status] = response(res);
  if (r.scope === 'read' || r.scope === 'admin' || r.scope === 'metrics') {
    responses['401'] ??= refusal('no token was sent, and the route needs one');
    responses['403'] ??= refusal('the token is not valid, or may not do this');
  }
  return {
    operationId: operationId(r.method, r.url),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: doc.tags,
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required ?? true,
            ...(doc.body.description ? { description: doc.body.description } : {}),
            content: Object.fromEntries(
              // The example is of the first content type (a CSV file is no example of JSON).
              (doc.body.contentTypes ?? ['application/json']).map((type, i) => [
                type,
                {
                  schema: doc.body!.schema,
                  ...(doc.body!.example !== undefined && i === 0 ? { example: doc.body!.example } : {}),
                },
              ]),
            ),
          },
        }
      : {}),
    responses,
    security: SECURITY[r.scope],
    'x-panoramix-scope': r.scope,
    ...(r.limited ? { 'x-panoramix-limited': true } : {}),
  };
}

function property(schema: JsonSchema | undefined, name: string): JsonSchema | undefined {
  return (schema?.properties as Record<string, JsonSchema> | undefined)?.[name];
}

function response(res: ResponseDoc): Record<string, unknown> {
  if (!res.schema && res.example === undefined && !res.contentType) return { description: res.description };
  return {
    description: res.description,
    content: {
      [res.contentType ?? 'application/json']: {
        ...(res.schema ? { schema: res.schema } : {}),
        ...(res.example !== undefined ? { example: res.example } : {}),
      },
    },
  };
}

function refusal(description: string): Record<string, unknown> {
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Refusal' } } },
  };
}

/** GET /v1/projections/:name → get_v1_projections_name: stable, unique per method and path. */
function operationId(method: string, url: string): string {
  return `${method.toLowerCase()}${url.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`;
}
