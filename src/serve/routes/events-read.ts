import { Params } from '../../store/sql-params.js';
import { limitsOf, rawSources } from '../access/limits.js';
import { limitedRead } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { EVENTS_READ_DOC } from './events-read.doc.js';

/**
 * GET /v1/events: stored events filtered by type, source, CloudEvents source (ce_source), subject, time and
 * seq, newest first.
 */
export const eventReadRoutes: RoutePlugin = (app, runtime) => {
  app.get('/v1/events', limitedRead(EVENTS_READ_DOC), async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const where: string[] = [];
    const params = new Params();
    const add = (sql: string, v: unknown) => where.push(sql.replace('?', params.add(v)));
    const limits = limitsOf(req.principal);
    for (const f of ['type', limits ? '' : 'source', 'ce_source', 'subject', 'id'] as const)
      if (f && q[f]) add(`${f} = ?`, q[f]);
    if (limits) {
      // A limited token reads the events of its sources only (of the one asked for, if it is one of them).
      where.push(`source IN (${params.list(rawSources(limits, 'events', q.source || undefined))})`);
    }
    for (const [f, op] of [
      ['from', '>='],
      ['to', '<'],
    ] as const) {
      if (q[f] === undefined) continue;
      const t = Date.parse(q[f]!);
      if (Number.isNaN(t))
        return reply.code(400).send({ error: `${f} must be an ISO timestamp, not ${JSON.stringify(q[f])}` });
      add(`time ${op} ?`, new Date(t));
    }
    for (const [f, op] of [
      ['after', '>'],
      ['before', '<'],
    ] as const) {
      if (q[f] === undefined) continue;
      if (!/^\d+$/.test(q[f]!)) return reply.code(400).send({ error: `${f} must be a seq (a whole number)` });
      add(`seq ${op} ?`, Number(q[f]));
    }
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      return reply.code(400).send({ error: 'limit must be a whole number from 1 to 10000' });
    }
    const order = q.after !== undefined ? 'ASC' : 'DESC';
    const rows = await runtime.store.query(
      `SELECT seq, source, ce_source, id, type, subject, time, received_at, CAST(data AS TEXT) AS data,
              CAST(ce_attributes AS TEXT) AS ce_attributes FROM events
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ${params.add(limit)}`,
      params.values,
    );
    return {
      events: rows.map((r) => ({
        ...r,
        data: JSON.parse(r.data as string),
        ce_attributes: r.ce_attributes === null ? null : JSON.parse(r.ce_attributes as string),
      })),
      lastSeq: await runtime.store.lastSeq(),
    };
  });
};
