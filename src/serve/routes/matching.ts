import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MatchingError } from '../../match/errors.js';
import { parseRecords, recordFormat } from '../../match/parse-records.js';
import { STATUSES } from '../../match/queries.js';
import { type Matching, matchingOf } from '../../match/service.js';
import { SIDES, type Side } from '../../match/transaction.js';
import type { Runtime } from '../../runtime.js';
import { scoped } from '../access/scopes.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import type { RoutePlugin } from '../route-plugin.js';
import {
  ADD_MERCHANTS_DOC,
  COUNTS_DOC,
  EXPORTS_DOC,
  FORCE_DOC,
  IMPORT_DOC,
  IMPORTS_DOC,
  MERCHANTS_DOC,
  NOT_CONFIGURED_DOC,
  ownerDocs,
  PASS_DOC,
  REMATCH_DOC,
  REMOVE_MERCHANT_DOC,
  RETRY_EXPORTS_DOC,
  SUMMARY_DOC,
  TRANSACTION_DOC,
  TRANSACTIONS_DOC,
} from './matching.doc.js';

/**
 * The matching API under /v1/match: reference data, imports (CSV, JSON or NDJSON bodies), counts and lists,
 * one transaction's match or candidates, re-match, force-match, export retries. Reads take a read token;
 * reference data and imports take a write key of the matching source (matching.source); passes, re-match,
 * force-match, export retries and deletions take an admin token.
 */
export const matchingRoutes: RoutePlugin = async (root, runtime) => {
  const m = await matchingOf(runtime);
  if (!m) {
    const message = 'matching is not configured (add a matching: section to panoramix.yaml)';
    // The summary says so plainly (the dashboard asks it first); everything else is not there.
    root.get('/v1/match/summary', scoped('read', SUMMARY_DOC), async () => ({
      configured: false,
      message,
    }));
    root.all('/v1/match/*', scoped('open', NOT_CONFIGURED_DOC), async (_req, reply) =>
      reply.code(404).send({ error: message }),
    );
    return;
  }
  // A scope of its own, so its error handler (reference and match errors in words) stays here.
  await root.register(async (app) => routes(app, runtime, m));
};

function routes(app: FastifyInstance, runtime: Runtime, m: Matching): void {
  // Feeding matching (reference data, imports) takes the matching source's write key, as ingest does.
  const preHandler = requireWriteKey(runtime, m.config.source);
  const write = (doc: RouteDoc) => ({ ...scoped('ingest', doc), preHandler });
  // Changing what matching decided (passes, re-match, force-match, export retries, deletions) is admin's.
  const body = (req: FastifyRequest) =>
    ((req.body as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8');
  const json = (req: FastifyRequest): Record<string, unknown> => {
    const text = body(req).trim();
    if (!text) return {};
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw Object.assign(new Error('the body must be a JSON object'), { statusCode: 400 });
  };
  const sideOf = (s: string): Side => {
    if ((SIDES as readonly string[]).includes(s)) return s as Side;
    throw Object.assign(new Error(`side must be payment or scheme, not "${s}"`), { statusCode: 400 });
  };

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof MatchingError) return reply.code(err.status).send({ error: err.message });
    if (err.statusCode && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: err.message });
    req.log.error({ err, url: req.url }, 'request failed');
    return reply.code(500).send({ error: 'internal error; see the server log' });
  });

  // Reference data.
  for (const kind of ['provider', 'scheme'] as const) {
    const path = `/v1/match/${kind === 'provider' ? 'providers' : 'schemes'}`;
    const docs = ownerDocs(kind);
    app.get(path, scoped('read', docs.list), async () => ({ [`${kind}s`]: await m.reference.owners(kind) }));
    app.post(path, write(docs.add), async (req, reply) => {
      const b = json(req);
      await m.reference.addOwner(
        kind,
        String(b.slug ?? ''),
        b.name === undefined ? undefined : String(b.name),
      );
      return reply.code(201).send({ slug: b.slug });
    });
    app.delete(`${path}/:slug`, scoped('admin', docs.remove), async (req, reply) => {
      const { slug } = req.params as { slug: string };
      return (await m.reference.removeOwner(kind, slug))
        ? reply.code(204).send()
        : reply.code(404).send({ error: `no ${kind} ${slug}` });
    });
  }
  app.get('/v1/match/merchants', scoped('read', MERCHANTS_DOC), async (req) => {
    const q = req.query as { provider?: string; scheme?: string; limit?: string };
    return {
      merchants: await m.reference.merchants({
        ...(q.provider ? { provider: q.provider } : {}),
        ...(q.scheme ? { scheme: q.scheme } : {}),
        ...(q.limit ? { limit: Number(q.limit) } : {}),
      }),
    };
  });
  app.post('/v1/match/merchants', write(ADD_MERCHANTS_DOC), async (req, reply) => {
    const type = String(req.headers['content-type'] ?? '');
    const added =
      recordFormat(type) === 'csv'
        ? await m.reference.addMerchantsCsv(body(req))
        : await m.reference.addMerchants(merchantRows(body(req)));
    return reply.code(201).send({ added });
  });
  app.delete(
    '/v1/match/merchants/:provider/:idType/:identifier',
    scoped('admin', REMOVE_MERCHANT_DOC),
    async (req, reply) => {
      const p = req.params as { provider: string; idType: string; identifier: string };
      return (await m.reference.removeMerchant(p.identifier, p.idType, p.provider))
        ? reply.code(204).send()
        : reply.code(404).send({ error: 'no such merchant identifier' });
    },
  );

  // Imports: a file's content as the body; the same content twice imports once.
  app.post('/v1/match/import/:side/:owner', write(IMPORT_DOC), async (req, reply) => {
    const { side, owner } = req.params as { side: string; owner: string };
    const q = req.query as { name?: string };
    const format = recordFormat(q.name) ?? recordFormat(String(req.headers['content-type'] ?? ''));
    if (!format)
      return reply
        .code(415)
        .send({ error: 'send text/csv, application/json or application/x-ndjson (or ?name=file.csv)' });
    const raw = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    const report = await m.importer.import(sideOf(side), owner, parseRecords(raw.toString('utf8'), format), {
      origin: 'upload',
      ...(q.name ? { name: q.name } : {}),
      content: raw,
    });
    if (report.error) return reply.code(503).header('retry-after', '5').send(report);
    return reply.code(report.alreadyImportedAs ? 200 : 201).send(report);
  });
  app.get('/v1/match/imports', scoped('read', IMPORTS_DOC), async (req) => ({
    imports: await m.importer.log(Number((req.query as { limit?: string }).limit ?? 100)),
  }));

  // What matching knows.
  app.get('/v1/match/summary', scoped('read', SUMMARY_DOC), async () => ({
    configured: true,
    totals: await m.queries.totals(),
    exports: await m.exporter.counts(),
    checkins: await m.queries.checkins(),
    schemes: Object.fromEntries(
      (await m.reference.owners('scheme')).map((s) => {
        const { columns: _columns, ...rules } = m.matcher.rulesOf(s.slug);
        return [s.slug, { ...rules, name: rules.name ?? s.name }];
      }),
    ),
    rabbitmq: m.config.rabbitmq ? (m.broker() ? 'connected' : 'disconnected') : 'not configured',
  }));
  app.get('/v1/match/counts', scoped('read', COUNTS_DOC), async (req) => {
    const q = req.query as { scheme?: string; from?: string; to?: string };
    const from = dayParam('from', q.from);
    const to = dayParam('to', q.to);
    return {
      counts: await m.queries.counts({
        ...(q.scheme ? { scheme: q.scheme } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      }),
    };
  });
  app.get('/v1/match/transactions', scoped('read', TRANSACTIONS_DOC), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const side = sideOf(q.side ?? 'payment');
    const day = dayParam('day', q.day);
    const out = await m.queries.list({
      side,
      ...(q.status ? { status: statusParam(q.status) } : {}),
      ...(q.scheme ? { scheme: q.scheme } : {}),
      ...(day ? { day } : {}),
      limit: countParam('limit', q.limit, 50, 1, 1000),
      offset: countParam('offset', q.offset, 0, 0, 1e9),
    });
    if (side === 'payment' && q.candidates !== undefined && q.candidates !== '0') {
      const c = await m.queries.candidates(out.transactions.map((t) => Number(t.id)));
      for (const t of out.transactions) t.candidates = c.get(Number(t.id)) ?? [];
    }
    return out;
  });
  app.get('/v1/match/transactions/:side/:id', scoped('read', TRANSACTION_DOC), async (req, reply) => {
    const { side, id } = req.params as { side: string; id: string };
    const t = await m.queries.transaction(sideOf(side), Number(id));
    return t ? t : reply.code(404).send({ error: `no ${side} transaction ${id}` });
  });
  app.get('/v1/match/exports', scoped('read', EXPORTS_DOC), async (req) => {
    const q = req.query as { status?: string; limit?: string; offset?: string };
    return m.queries.exports(
      q.status,
      countParam('limit', q.limit, 100, 1, 1000),
      countParam('offset', q.offset, 0, 0, 1e9),
    );
  });

  // Changes.
  app.post('/v1/match/pass', scoped('admin', PASS_DOC), async () => m.matcher.pass());
  app.post('/v1/match/rematch', scoped('admin', REMATCH_DOC), async (req) => {
    const b = json(req);
    const ids = Array.isArray(b.ids) ? b.ids.map(Number) : [];
    if (ids.length === 0 || ids.some((i) => !Number.isInteger(i)))
      throw Object.assign(new Error('ids: the payment transaction ids to match again'), { statusCode: 400 });
    const n = await m.matcher.rematch(ids);
    const pass = await m.matcher.pass();
    return { rematched: n, pass };
  });
  app.post('/v1/match/force', scoped('admin', FORCE_DOC), async (req, reply) => {
    const b = json(req);
    const paymentId = Number(b.payment_id);
    const schemeId =
      b.scheme_transaction_id === undefined || b.scheme_transaction_id === null
        ? null
        : Number(b.scheme_transaction_id);
    if (!Number.isInteger(paymentId) || (schemeId !== null && !Number.isInteger(schemeId)))
      throw Object.assign(
        new Error('payment_id (and optionally scheme_transaction_id) must be transaction ids'),
        {
          statusCode: 400,
        },
      );
    const by = typeof b.by === 'string' && b.by ? b.by : req.principal.name;
    const id = await m.matcher.forceMatch(paymentId, schemeId, by);
    return reply.code(201).send({ matched_transaction_id: id });
  });
  app.post('/v1/match/exports/retry', scoped('admin', RETRY_EXPORTS_DOC), async (req) => {
    const b = json(req);
    const ids = Array.isArray(b.ids) ? b.ids.map(Number).filter(Number.isInteger) : undefined;
    return { retried: await m.exporter.retry(ids) };
  });
}

// Query parameters are checked here, so a bad one is a 400 that names it, not a failed cast in SQL (a 500).
function dayParam(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
    throw new MatchingError(`${name} must be a date such as 2026-11-24, not ${JSON.stringify(value)}`);
  return value;
}

function statusParam(value: string): string {
  if ((STATUSES as readonly string[]).includes(value)) return value;
  throw new MatchingError(`status must be one of ${STATUSES.join(', ')}, not ${JSON.stringify(value)}`);
}

function countParam(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new MatchingError(
      `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`,
    );
  return n;
}

function merchantRows(text: string): Record<string, unknown>[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new MatchingError(`the body is not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => x && typeof x === 'object'))
    throw new MatchingError('send a merchant identifier object, an array of them, or CSV (text/csv)');
  return list as Record<string, unknown>[];
}

/** Admits a request carrying a write key of `source` (or any request when the source is open). */
function requireWriteKey(runtime: Runtime, source: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = runtime.keys.identify(req.headers.authorization);
    if (caller.kind === 'invalid')
      return reply.code(401).send({ error: 'the write key is not valid for any source' });
    if (caller.kind === 'anonymous') {
      if (runtime.keys.isOpen(source)) return;
      return reply
        .code(401)
        .send({ error: `a write key of source "${source}" is required (Authorization: Bearer KEY)` });
    }
    if (caller.source !== source)
      return reply
        .code(403)
        .send({ error: `this write key is for source "${caller.source}", not "${source}"` });
  };
}
