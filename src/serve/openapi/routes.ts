import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { declaredRoutes, scoped } from '../access/scopes.js';
import { DOCS_PAGE } from './docs-page.js';
import { openApiDocument } from './document.js';

const PACKAGE = path.resolve(import.meta.dirname, '../../../package.json');

/**
 * GET /openapi.json (the OpenAPI 3.1 document of this server's routes) and GET /docs (a page that renders
 * it, with no asset from elsewhere). Open: the document says what exists and what each route needs, never
 * data. Made on the first request, when every route is registered, and kept: routes do not change after.
 */
export function openApiRoutes(app: FastifyInstance): void {
  let document: string | undefined;
  app.get(
    '/openapi.json',
    scoped('open', {
      summary: 'This document: the OpenAPI 3.1 description of every route of this server',
      tags: ['documentation'],
      response: {
        200: {
          description: 'the document',
          schema: {
            type: 'object',
            required: ['openapi', 'info', 'paths'],
            properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } },
          },
        },
      },
    }),
    async (_req, reply) => {
      document ??= JSON.stringify(openApiDocument(declaredRoutes(app), version()));
      return reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(document);
    },
  );
  app.get(
    '/docs',
    scoped('open', {
      summary: 'A page that shows this document (the API reference, browsable)',
      tags: ['documentation'],
      response: { 200: { description: 'the page', contentType: 'text/html' } },
    }),
    async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(DOCS_PAGE),
  );
}

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(PACKAGE, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
