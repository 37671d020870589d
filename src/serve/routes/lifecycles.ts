import type { BodyItem } from '../../collect/body.js';
import { bodyKind, parseBody } from '../../collect/body.js';
import { MARS_STAGES, messagesGenerator } from '../../generate/messages.js';
import { fromMars } from '../../lifecycle/mars.js';
import { lifecycleTrackers } from '../../lifecycle/service.js';
import { LifecycleError, type MessageFilter } from '../../lifecycle/tracker.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { sendOutcome } from './ingest.js';
import {
  APPS_DOC,
  CREATE_EVENT_DOC,
  FUNNEL_DOC,
  LIFECYCLE_REBUILD_DOC,
  LIFECYCLES_DOC,
  LIVE_DOC,
  MARS_BULK_DOC,
  MARS_EVENT_DOC,
  MESSAGE_DOC,
  MESSAGES_DOC,
} from './lifecycles.doc.js';

/** Mars-compatible intake (POST /api/event, /api/event/bulk) and the lifecycle API under /v1/lifecycles. */
export const lifecycleRoutes: RoutePlugin = async (app, runtime) => {
  const trackers = await lifecycleTrackers(runtime);

  const intake = async (items: BodyItem[], authorization: string | undefined, bytes = 0) => {
    const caller = runtime.keys.identify(authorization);
    // Mars's events carry no source: they are the write key's source, or `mars` when anonymous.
    const fallback = caller.kind === 'source' ? caller.source : 'mars';
    const withSource = items.map((it) =>
      it.value && typeof it.value === 'object' && !Array.isArray(it.value) && !('source' in it.value)
        ? { ...it, value: { ...(it.value as object), source: fallback } }
        : it,
    );
    return runtime.ingest.handle(withSource, caller, fromMars, { bytes });
  };
  app.post('/api/event', scoped('ingest', MARS_EVENT_DOC), async (req, reply) => {
    const items = parseBody((req.body as Buffer | undefined) ?? Buffer.alloc(0), 'single', 1);
    if (!Array.isArray(items)) return reply.code(items.status).send({ error: items.error });
    return sendOutcome(reply, await intake(items, req.headers.authorization, bodyBytes(req)));
  });
  app.post('/api/event/bulk', scoped('ingest', MARS_BULK_DOC), async (req, reply) => {
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    if (bodyKind(req.headers['content-type']) === 'ndjson') {
      // One Mars event per line also works here (what `panoramix replay --path /api/event/bulk` sends).
      const lines = parseBody(body, 'ndjson', runtime.config.server.maxEventsPerRequest);
      if (!Array.isArray(lines)) return reply.code(lines.status).send({ error: lines.error });
      return sendOutcome(reply, await intake(lines, req.headers.authorization, bodyBytes(req)));
    }
    const parsed = parseBody((req.body as Buffer | undefined) ?? Buffer.alloc(0), 'single', 1);
    if (!Array.isArray(parsed)) return reply.code(parsed.status).send({ error: parsed.error });
    const events = (parsed[0]?.value as { events?: unknown } | undefined)?.events;
    if (!Array.isArray(events)) return reply.code(400).send({ error: 'body must be {"events": [...]}' });
    const max = runtime.config.server.maxEventsPerRequest;
    if (events.length > max)
      return reply.code(413).send({
        error: `request holds ${events.length} events; the limit is ${max} events per request (server.maxEventsPerRequest)`,
      });
    return sendOutcome(
      reply,
      await intake(
        events.map((value, index) => ({ index, value })),
        req.headers.authorization,
        bodyBytes(req),
      ),
    );
  });

  // Mars's test-traffic endpoint: a few generated messages (some losing a stage) through the normal intake.
  const traffic = [...trackers.values()].find((t) => t.def.testTraffic.enabled);
  if (traffic) {
    app.all('/api/create_event', scoped('ingest', CREATE_EVENT_DOC), async (req, reply) => {
      const seed = Math.floor(Math.random() * 2 ** 31);
      const stages = traffic.def.stages;
      const items: BodyItem[] = [];
      let index = 0;
      for (const e of messagesGenerator.generate({
        count: traffic.def.testTraffic.messages,
        seed,
        start: Date.now() - 5000,
      })) {
        // The generator walks Mars's stages; here they are renamed onto this lifecycle's own stages.
        const at = MARS_STAGES.indexOf(e.event as (typeof MARS_STAGES)[number]);
        const event =
          at >= 0 ? stages[Math.min(at, stages.length - 1)] : (traffic.def.terminal[0] ?? stages[0]);
        items.push({ index: index++, value: { ...e, event, source: traffic.def.sources?.[0] ?? 'mars' } });
      }
      return sendOutcome(reply, await intake(items, req.headers.authorization, bodyBytes(req)));
    });
  }

  const tracker = (name: string) => {
    const t = trackers.get(name);
    if (!t) throw Object.assign(new Error(`no lifecycle named ${name}`), { statusCode: 404 });
    return t;
  };
  const wrap = async <T>(fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LifecycleError) throw Object.assign(err, { statusCode: 400 });
      throw err;
    }
  };

  app.get('/v1/lifecycles', scoped('read', LIFECYCLES_DOC), async () => ({
    lifecycles: await Promise.all(
      [...trackers.values()].map(async (t) => ({
        name: t.name,
        description: t.def.description ?? null,
        stages: t.def.stages,
        terminal: t.def.terminal,
        deadlines: t.def.deadlines,
        behindBy: (await runtime.store.lastSeq()) - (await t.foldedSeq()),
      })),
    ),
  }));

  app.get<{ Params: { name: string } }>(
    '/v1/lifecycles/:name/messages',
    scoped('read', MESSAGES_DOC),
    async (req, reply) => {
      const t = tracker(req.params.name);
      const q = req.query as Record<string, string | undefined>;
      const f: { -readonly [K in keyof MessageFilter]: MessageFilter[K] } = {};
      if (q.app) f.app = q.app;
      if (q.stage) f.currentStage = q.stage;
      if (q.missing) f.missing = q.missing;
      if (q.overdue === 'true') f.overdue = true;
      for (const k of ['from', 'to'] as const) {
        if (!q[k]) continue;
        const d = new Date(q[k]!);
        if (Number.isNaN(d.getTime())) return reply.code(400).send({ error: `${k} must be an ISO time` });
        f[k] = d;
      }
      for (const k of ['limit', 'offset'] as const) {
        if (q[k] === undefined) continue;
        const n = Number(q[k]);
        if (!Number.isInteger(n) || n < 0)
          return reply.code(400).send({ error: `${k} must be a whole number` });
        f[k] = n;
      }
      const now = q.at ? new Date(q.at) : new Date();
      return wrap(() => t.list(f, now));
    },
  );

  app.get<{ Params: { name: string; id: string } }>(
    '/v1/lifecycles/:name/messages/:id',
    scoped('read', MESSAGE_DOC),
    async (req, reply) => {
      const t = tracker(req.params.name);
      const record = await t.get(req.params.id);
      if (!record)
        return reply.code(404).send({ error: `no message ${req.params.id} in ${req.params.name}` });
      const events = (await t.events(req.params.id)).map((e) => ({
        ...e,
        data: JSON.parse(e.data as string),
      }));
      return { ...record, timeline: events };
    },
  );

  app.get<{ Params: { name: string; id: string } }>(
    '/v1/lifecycles/:name/messages/:id/live',
    scoped('read', LIVE_DOC),
    (req, reply) => {
      const t = tracker(req.params.name);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      reply.raw.write(': live timeline of one message\n\n');
      const keyOf = (e: { subject: string | null; data: string }) =>
        t.def.key === 'subject'
          ? e.subject
          : (t.def.key
              .split('.')
              .slice(1)
              .reduce<unknown>(
                (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
                JSON.parse(e.data),
              ) as string);
      const unsubscribe = runtime.committer.onCommit((events) => {
        for (const e of events) {
          if (!t.stages.includes(e.type) || keyOf(e) !== req.params.id) continue;
          reply.raw.write(
            `event: stage\ndata: ${JSON.stringify({ seq: e.seq, type: e.type, time: new Date(e.time).toISOString(), source: e.source, data: JSON.parse(e.data) })}\n\n`,
          );
        }
      });
      const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
      req.raw.on('close', () => {
        unsubscribe();
        clearInterval(ping);
      });
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/lifecycles/:name/funnel',
    scoped('read', FUNNEL_DOC),
    async (req) => {
      const q = req.query as Record<string, string | undefined>;
      return { funnel: await tracker(req.params.name).funnel(q.app) };
    },
  );
  app.get<{ Params: { name: string } }>(
    '/v1/lifecycles/:name/apps',
    scoped('read', APPS_DOC),
    async (req) => ({
      apps: await tracker(req.params.name).apps(),
    }),
  );
  app.post<{ Params: { name: string } }>(
    '/v1/lifecycles/:name/rebuild',
    scoped('admin', LIFECYCLE_REBUILD_DOC),
    async (req) => {
      const t = tracker(req.params.name);
      await t.rebuild();
      return { name: t.name, foldedSeq: await t.foldedSeq() };
    },
  );
};

/** The body's size in bytes (after decompression), what a write key's bytes quota counts. */
function bodyBytes(req: { body?: unknown }): number {
  return Buffer.isBuffer(req.body) ? req.body.length : 0;
}
