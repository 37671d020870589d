import type { FastifyRequest } from 'fastify';
import type { QuarantineFilter } from '../../quarantine/quarantine.js';
import { replayQuarantine } from '../../quarantine/replay.js';
import { limitsOf, rawSources } from '../access/limits.js';
import { limitedRead, scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import {
  QUARANTINE_DISCARD_DOC,
  QUARANTINE_ITEM_DOC,
  QUARANTINE_LIST_DOC,
  QUARANTINE_REPLAY_DOC,
} from './quarantine.doc.js';

/** GET /v1/quarantine[/ID], POST /v1/quarantine/replay and /discard: what could not be accepted, and what to do with it. */
export const quarantineRoutes: RoutePlugin = (app, runtime) => {
  app.get('/v1/quarantine', limitedRead(QUARANTINE_LIST_DOC), async (req, reply) => {
    const f = filterOf(req);
    if (typeof f === 'string') return reply.code(400).send({ error: f });
    // A limited token sees the quarantine of its sources only, counts included.
    const limits = limitsOf(req.principal);
    const sources = limits ? rawSources(limits, 'the quarantine', f.source) : undefined;
    return {
      items: await runtime.quarantine.list(sources ? { ...f, sources } : f),
      held: await runtime.quarantine.heldByReason(sources),
    };
  });
  app.get<{ Params: { id: string } }>(
    '/v1/quarantine/:id',
    limitedRead(QUARANTINE_ITEM_DOC),
    async (req, reply) => {
      const item = await runtime.quarantine.get(req.params.id);
      const limits = limitsOf(req.principal);
      // Another source's item is answered as absent, so ids cannot be probed.
      if (!item || (limits && !rawSources(limits, 'the quarantine', undefined).includes(item.source)))
        return reply.code(404).send({ error: `nothing quarantined under ${req.params.id}` });
      return item;
    },
  );
  app.post('/v1/quarantine/replay', scoped('admin', QUARANTINE_REPLAY_DOC), async (req, reply) => {
    const f = filterOf(req);
    if (typeof f === 'string') return reply.code(400).send({ error: f });
    return replayQuarantine(runtime, f);
  });
  app.post('/v1/quarantine/discard', scoped('admin', QUARANTINE_DISCARD_DOC), async (req, reply) => {
    const f = filterOf(req);
    if (typeof f === 'string') return reply.code(400).send({ error: f });
    if (!f.source && !f.reason && !f.type && !f.ids?.length) {
      return reply.code(400).send({
        error: 'discard needs a filter (source, reason, type or ids), so nothing is thrown away by accident',
      });
    }
    return { discarded: await runtime.quarantine.discard(f) };
  });
};

// Filters from the query string, or a JSON body for POSTs: source, reason, type, from, to, ids, limit, status.
function filterOf(req: FastifyRequest): QuarantineFilter | string {
  let body: Record<string, unknown> = {};
  const raw = (req.body as Buffer | undefined)?.toString('utf8').trim();
  if (raw) {
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return 'body must be a JSON object of filters: source, reason, type, from, to, ids, limit';
    }
  }
  const q = { ...(req.query as Record<string, unknown>), ...body };
  const f: { -readonly [K in keyof QuarantineFilter]: QuarantineFilter[K] } = {};
  for (const k of ['source', 'reason', 'type', 'status'] as const)
    if (typeof q[k] === 'string') f[k] = q[k] as string;
  for (const k of ['from', 'to'] as const) {
    if (q[k] === undefined) continue;
    const d = new Date(String(q[k]));
    if (Number.isNaN(d.getTime())) return `${k} must be an ISO time`;
    f[k] = d;
  }
  if (q.ids !== undefined) f.ids = Array.isArray(q.ids) ? q.ids.map(String) : String(q.ids).split(',');
  if (q.limit !== undefined) {
    const n = Number(q.limit);
    if (!Number.isInteger(n) || n < 1) return 'limit must be a positive whole number';
    f.limit = n;
  }
  return f;
}
