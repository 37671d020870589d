import type { FastifyReply } from 'fastify';
import { binaryModeItem, isBinaryMode } from '../../collect/binary-mode.js';
import { bodyKind, parseBody, SUPPORTED_CONTENT_TYPES } from '../../collect/body.js';
import type { IngestOutcome } from '../../collect/ingest.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { INGEST_DOC } from './ingest.doc.js';

/**
 * POST /v1/events: CloudEvents in structured, batched or binary mode (ce-* headers, the body as data), JSON
 * arrays or NDJSON, answered after the events are durable.
 */
export const ingestRoutes: RoutePlugin = (app, runtime) => {
  app.post('/v1/events', scoped('ingest', INGEST_DOC), async (req, reply) => {
    const caller = runtime.keys.identify(req.headers.authorization);
    if (caller.kind === 'invalid')
      return reply.code(401).send({ error: 'the write key is not valid for any source' });
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    if (isBinaryMode(req.headers))
      return sendOutcome(
        reply,
        await runtime.ingest.handle([binaryModeItem(req.headers, body)], caller, undefined, {
          bytes: body.length,
        }),
      );
    const kind = bodyKind(req.headers['content-type']);
    if (!kind) {
      return reply.code(415).send({
        error: `content type ${req.headers['content-type']} is not supported; use one of ${SUPPORTED_CONTENT_TYPES.join(', ')}, or any with ce-* headers (CloudEvents binary mode)`,
      });
    }
    const items = parseBody(body, kind, runtime.config.server.maxEventsPerRequest);
    if (!Array.isArray(items)) {
      // An unreadable body costs its key's quota too, or a key could fill the quarantine at any rate.
      const quota = runtime.ingest.charge(caller, 1, body.length);
      if (quota && !quota.ok)
        return sendOutcome(reply, {
          status: 429,
          accepted: 0,
          duplicates: 0,
          rejected: [],
          error: quota.error!,
          retryAfterSeconds: quota.retryAfterSeconds!,
          rateLimit: quota.headers,
        });
      // An unreadable body is kept whole (a too-large or wrong-type body is not: the client still holds it).
      // Without a write key, only up to a rate per source (server.quarantineAnonymousPerMinute).
      if (
        items.status === 400 &&
        body.length > 0 &&
        (caller.kind === 'source' || runtime.quarantine.admitAnonymous(undefined))
      ) {
        await runtime.quarantine.put([
          {
            source: caller.kind === 'source' ? caller.source : 'unknown',
            raw: body,
            reason: 'unparseable',
            error: items.error,
          },
        ]);
      }
      return reply.code(items.status).send({ error: items.error });
    }
    return sendOutcome(reply, await runtime.ingest.handle(items, caller, undefined, { bytes: body.length }));
  });
};

/** Answers an ingest outcome: counts, the rejected inputs with their reasons, Retry-After on 503. */
export function sendOutcome(reply: FastifyReply, o: IngestOutcome): FastifyReply {
  if (o.retryAfterSeconds) reply.header('retry-after', String(o.retryAfterSeconds));
  for (const [name, value] of Object.entries(o.rateLimit ?? {})) reply.header(name, value);
  return reply.code(o.status).send({
    accepted: o.accepted,
    duplicates: o.duplicates,
    rejected: o.rejected,
    ...(o.quarantined ? { quarantined: o.quarantined } : {}),
    ...(o.error ? { error: o.error } : {}),
  });
}
