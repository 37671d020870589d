import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { toCsv } from '../../core/csv.js';
import { NotReadyError } from '../../project/engine.js';
import type { ColumnFilter, ProjectionAnswer, ProjectionQuery } from '../../project/projection-reader.js';
import { QueryError } from '../../project/reader.js';
import { Projections } from '../../project/service.js';
import { checkProjection, fixFilters, fixParams, limitsOf } from '../access/limits.js';
import { limitedRead, scoped } from '../access/scopes.js';
import { sendText } from '../compress.js';
import type { RoutePlugin } from '../route-plugin.js';
import { PROJECTION_DOC, PROJECTIONS_DOC, QUERY_DOC, REBUILD_DOC } from './projections.doc.js';

const FORMATS = ['json', 'ndjson', 'csv', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
const RESERVED = new Set(['sort', 'limit', 'cursor', 'format']);

/** GET /v1/projections[/NAME], POST /v1/projections/NAME/rebuild, GET /v1/queries[/NAME]: reads with freshness. */
export const projectionRoutes: RoutePlugin = async (app, runtime) => {
  const projections = runtime.feature(Projections);
  const engine = await projections.engine();
  const reader = await projections.reader();

  app.get('/v1/projections', limitedRead(PROJECTIONS_DOC), async (req) => {
    // A limited token is shown only what it may read.
    const limits = limitsOf(req.principal);
    const list = [];
    for (const name of reader.names()) {
      if (limits && !limits.projections.has(name)) continue;
      const plan = engine.plans.get(name)!;
      try {
        const v = await reader.version(name);
        list.push({
          name,
          shape: plan.shape,
          description: runtime.config.projections[name]?.description ?? null,
          version: v.version,
          columns: v.columns,
          freshness: (await reader.read(name, { limit: 1 })).freshness,
          building: !v.version.startsWith(`${plan.hash}_`),
        });
      } catch (err) {
        if (!(err instanceof NotReadyError)) throw err;
        list.push({
          name,
          shape: plan.shape,
          description: runtime.config.projections[name]?.description ?? null,
          version: null,
          columns: plan.columns,
          freshness: null,
          building: true,
        });
      }
    }
    return {
      projections: list,
      queries: Object.entries(runtime.config.queries)
        .filter(([name]) => !limits || limits.queries.has(name))
        .map(([name, q]) => ({
          name,
          description: q.description ?? null,
          params: q.params,
        })),
    };
  });

  app.get<{ Params: { name: string } }>(
    '/v1/projections/:name',
    limitedRead(PROJECTION_DOC),
    async (req, reply) => {
      const q = req.query as Record<string, string | string[] | undefined>;
      const limits = limitsOf(req.principal);
      return answer(reply, req.headers.accept, q.format, async (format) => {
        let query = parseQuery(q);
        if (limits) checkProjection(limits, req.params.name);
        const v = await reader.version(req.params.name);
        if (limits) {
          // Every format (JSON, CSV, NDJSON, Parquet) reads through these filters, so none can widen them.
          const columns = v.columns.map((c) => c.name);
          query = { ...query, filters: fixFilters(limits, req.params.name, columns, query.filters ?? {}) };
        }
        // The tag names the version and speed seq the answer is read at (or later): any fold or swap changes it,
        // so a 304 is never an answer to a changed row. Clients and proxies revalidate every time (no-cache).
        // A limited token's answer is its own, so its tag names the token: another token's tag never matches.
        const tag = `W/"${v.version}.${v.speedSeq}.${format}${limits ? `.${req.principal.name}` : ''}"`;
        reply.header('etag', tag).header('cache-control', 'private, no-cache').header('vary', 'Accept');
        if (matchesTag(req.headers['if-none-match'], tag)) return { notModified: true };
        if (format === 'parquet') return { parquet: await exportParquet(req.params.name, query) };
        return { answer: await reader.read(req.params.name, query, v) };
      });
    },
  );

  app.post<{ Params: { name: string } }>(
    '/v1/projections/:name/rebuild',
    scoped('admin', REBUILD_DOC),
    async (req, reply) => {
      if (!engine.plans.has(req.params.name))
        return reply.code(404).send({ error: `no projection named ${req.params.name}` });
      const v = await engine.rebuild(req.params.name);
      return { name: v.name, version: v.version, watermark: v.watermark, buildMs: v.buildMs };
    },
  );

  app.get<{ Params: { name: string } }>('/v1/queries/:name', limitedRead(QUERY_DOC), async (req, reply) => {
    let q = { ...(req.query as Record<string, string | undefined>) };
    const format = q.format;
    delete q.format;
    const limits = limitsOf(req.principal);
    return answer(reply, req.headers.accept, format, async (f) => {
      if (f === 'parquet') throw new QueryError('named queries answer json, ndjson or csv');
      if (limits) {
        const declared = Object.keys(runtime.config.queries[req.params.name]?.params ?? {});
        q = fixParams(limits, req.params.name, declared, q);
      }
      return { answer: await reader.runQuery(req.params.name, q) };
    });
  });

  async function exportParquet(name: string, query: ProjectionQuery): Promise<string> {
    const store = runtime.store;
    if (!store.copyToParquet)
      throw new QueryError('Parquet output needs the DuckDB store; ask for csv or ndjson');
    const v = await reader.version(name);
    const sql = await reader.selectSql(v, { ...query, limit: query.limit ?? 10_000 });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pmx-')), `${name}.parquet`);
    await store.copyToParquet(sql.text, sql.params, file);
    return file;
  }
};

type Produced = { answer?: ProjectionAnswer; parquet?: string; notModified?: boolean };

async function answer(
  reply: FastifyReply,
  accept: string | undefined,
  formatParam: unknown,
  produce: (f: Format) => Promise<Produced>,
) {
  const format = pickFormat(accept, formatParam);
  if (!format) return reply.code(400).send({ error: `format must be one of ${FORMATS.join(', ')}` });
  let out: Produced;
  try {
    out = await produce(format);
  } catch (err) {
    if (err instanceof QueryError)
      return reply
        .code(/^no (projection|query) named/.test(err.message) ? 404 : 400)
        .send({ error: err.message });
    if (err instanceof NotReadyError)
      return reply.code(503).header('retry-after', '2').send({ error: err.message });
    throw err;
  }
  if (out.notModified) return reply.code(304).send();
  if (out.parquet) {
    reply.header('content-type', 'application/vnd.apache.parquet');
    reply.header('content-disposition', `attachment; filename="${path.basename(out.parquet)}"`);
    const data = fs.readFileSync(out.parquet);
    fs.rmSync(path.dirname(out.parquet), { recursive: true, force: true });
    return reply.send(data);
  }
  const a = out.answer!;
  reply.header('x-panoramix-watermark', String(a.freshness.watermark));
  reply.header('x-panoramix-speed-events', String(a.freshness.speedEvents));
  if (a.freshness.batchAt) reply.header('x-panoramix-batch-at', a.freshness.batchAt);
  if (a.nextCursor) reply.header('x-panoramix-next-cursor', a.nextCursor);
  if (format === 'csv')
    return sendText(
      reply,
      'text/csv; charset=utf-8',
      toCsv(
        a.rows,
        a.columns.map((c) => c.name),
      ),
    );
  if (format === 'ndjson')
    return sendText(
      reply,
      'application/x-ndjson',
      a.rows.map((r) => JSON.stringify(r)).join('\n') + (a.rows.length ? '\n' : ''),
    );
  return sendText(
    reply,
    'application/json; charset=utf-8',
    JSON.stringify({
      freshness: a.freshness,
      columns: a.columns,
      rows: a.rows,
      nextCursor: a.nextCursor ?? null,
    }),
  );
}

// If-None-Match holds one tag, several separated by commas, or *; weak comparison, as RFC 9110 asks for GET.
function matchesTag(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(tag));
}

function pickFormat(accept: string | undefined, param: unknown): Format | undefined {
  if (param !== undefined) return FORMATS.includes(param as Format) ? (param as Format) : undefined;
  if (accept?.includes('text/csv')) return 'csv';
  if (accept?.includes('ndjson')) return 'ndjson';
  if (accept?.includes('parquet')) return 'parquet';
  return 'json';
}

// ?status=FULFILLED&updated_ts[gte]=…&product[in]=a,b&sort=-updated_ts&limit=50&cursor=…
function parseQuery(q: Record<string, string | string[] | undefined>): ProjectionQuery {
  const filters: Record<string, ColumnFilter[]> = {};
  for (const [key, raw] of Object.entries(q)) {
    if (raw === undefined || RESERVED.has(key)) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(eq|gt|gte|lt|lte|in)\])?$/.exec(key);
    if (!m) throw new QueryError(`filter ${JSON.stringify(key)} is not column, column[gt|gte|lt|lte|in|eq]`);
    const op = (m[2] ?? 'eq') as ColumnFilter['op'];
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      const f: ColumnFilter = op === 'in' ? { op, values: value.split(',') } : { op, value };
      filters[m[1]!] = [...(filters[m[1]!] ?? []), f];
    }
  }
  const sort =
    typeof q.sort === 'string' && q.sort !== ''
      ? q.sort.split(',').map((s) => (s.startsWith('-') ? { column: s.slice(1), desc: true } : { column: s }))
      : undefined;
  let limit: number | undefined;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!Number.isInteger(limit))
      throw new QueryError(`limit must be a whole number, not ${JSON.stringify(q.limit)}`);
  }
  return {
    filters,
    ...(sort ? { sort } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(typeof q.cursor === 'string' ? { cursor: q.cursor } : {}),
  };
}
