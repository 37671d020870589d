/**
 * What a route tells the OpenAPI document about itself, declared beside its scope (`scoped('read', doc)`).
 *
 * The schemas are JSON Schema (2020-12, as OpenAPI 3.1 takes them) in Fastify's own shape (querystring,
 * params, body, response), but they are kept in the route's config, not in Fastify's `schema`: bodies
 * arrive raw (the collector parses them itself, to say which line failed), and a response schema would make
 * Fastify drop every field it does not name. The routes check their input themselves; test/openapi.test.ts
 * holds the examples, and the answers of a running server, to these schemas.
 */
export type JsonSchema = Record<string, unknown>;

export interface ResponseDoc {
  readonly description: string;
  /** application/json unless said; text/csv, text/html, text/event-stream, text/plain… */
  readonly contentType?: string;
  readonly schema?: JsonSchema;
  readonly example?: unknown;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** The group it is listed under (one per route file: events, projections, matching…). */
  readonly tags: readonly string[];
  /** An object schema: each property is a query parameter (all are strings on the wire). */
  readonly querystring?: JsonSchema;
  /** An object schema of the path's :parameters; a parameter it leaves out is documented as a string. */
  readonly params?: JsonSchema;
  readonly body?: {
    readonly description?: string;
    /** application/json unless said; several when the route reads several (the example is of the first). */
    readonly contentTypes?: readonly string[];
    readonly schema: JsonSchema;
    readonly example?: unknown;
    readonly required?: boolean;
  };
  /** By status code. 401 and 403 of the scope are added by the document itself. */
  readonly response: Readonly<Record<number, ResponseDoc>>;
}

/** The error every route answers with on 4xx and 5xx. */
export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string', description: 'what went wrong, in words a person can act on' } },
};

/** Shorthand for an error response. */
export function errorResponse(description: string): ResponseDoc {
  return { description, schema: { $ref: '#/components/schemas/Error' } };
}
