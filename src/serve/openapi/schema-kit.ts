import type { JsonSchema } from './route-doc.js';

/** Short forms for the JSON schemas of the route docs. Objects are open (a field may be added later). */
export const str = (description?: string): JsonSchema => ({
  type: 'string',
  ...(description ? { description } : {}),
});
export const int = (description?: string): JsonSchema => ({
  type: 'integer',
  minimum: 0,
  ...(description ? { description } : {}),
});
export const num: JsonSchema = { type: 'number' };
export const bool: JsonSchema = { type: 'boolean' };
export const time: JsonSchema = { type: 'string', description: 'ISO 8601 time' };
export const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
export const list = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});
export const counts = (description: string): JsonSchema => ({
  type: 'object',
  additionalProperties: { type: 'integer' },
  description,
});
export const any = (description: string): JsonSchema => ({ description });

/** An object with these properties; those named in `required` must be there. */
export function obj(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** A query string: every parameter optional unless named in required. */
export function query(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return obj(properties, required);
}
