import type { BodyItem } from '../../collect/body.js';
import { bodyKind, parseBody } from '../../collect/body.js';
import { fromSegment, SEGMENT_CALLS, type SegmentCall } from '../../collect/segment.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { segmentDoc } from './ingest.doc.js';

/**
 * The paths Segment's libraries post to, and the call each one is: the HTTP Tracking API's (/v1/track …
 * /v1/batch) and the one-letter ones analytics.js uses in browsers (/v1/t, /v1/p, … and /v1/b for batches).
 */
export const SEGMENT_PATHS: readonly (readonly [string, SegmentCall | undefined])[] = [
  ...SEGMENT_CALLS.flatMap((call) => [
    [`/v1/${call}`, call] as const,
    [`/v1/${call.charAt(0)}`, call] as const,
  ]),
  ['/v1/batch', undefined],
  ['/v1/b', undefined],
  ['/v1/import', undefined],
];

// Historical batches: their timestamps are taken as they are, never corrected against this receipt.
const HISTORICAL = new Set(['/v1/import']);

// analytics.js posts JSON as text/plain, which a browser sends without a CORS preflight.
function isSegmentJson(contentType: string | undefined): boolean {
  return bodyKind(contentType) === 'json' || /^text\/plain\b/i.test(contentType ?? '');
}

/**
 * Segment's HTTP Tracking API (/v1/track … /v1/batch, and /v1/import for historical batches), so Segment
 * libraries can point here unchanged. The batch routes also take NDJSON, one message per line: the form of
 * Segment's export and archive files, which `panoramix replay --format segment` sends.
 */
export const segmentRoutes: RoutePlugin = (app, runtime) => {
  const handle = async (
    call: SegmentCall | undefined,
    body: Buffer,
    authorization: string | undefined,
    options: { ndjson: boolean; historical: boolean },
  ) => {
    const parsed = parseBody(
      body,
      options.ndjson ? 'ndjson' : 'json',
      runtime.config.server.maxEventsPerRequest,
    );
    if (!Array.isArray(parsed))
      return { status: parsed.status, body: { success: false, error: parsed.error } };
    const root = options.ndjson ? undefined : (parsed[0]?.value as Record<string, unknown> | undefined);
    let items: BodyItem[] = parsed;
    if (call === undefined && !options.ndjson) {
      const batch = root?.batch;
      if (!Array.isArray(batch))
        return { status: 400, body: { success: false, error: 'batch must be an array of messages' } };
      if (batch.length > runtime.config.server.maxEventsPerRequest) {
        return {
          status: 413,
          body: {
            success: false,
            error: `batch holds ${batch.length} messages; the limit is ${runtime.config.server.maxEventsPerRequest} (server.maxEventsPerRequest)`,
          },
        };
      }
      items = batch.map((value, index) => ({ index, value }));
    }
    const caller = runtime.keys.identify(authorization, root?.writeKey);
    const timing = { batchSentAt: root?.sentAt, historical: options.historical };
    const outcome = await runtime.ingest.handle(
      items,
      caller,
      (input, source, at) => fromSegment(input, call, source, at, timing),
      { bytes: body.length },
    );
    return {
      status: outcome.status,
      body: {
        success: outcome.status === 200 && outcome.rejected.length === 0,
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        rejected: outcome.rejected,
        ...(outcome.error ? { error: outcome.error } : {}),
      },
      retryAfter: outcome.retryAfterSeconds,
      rateLimit: outcome.rateLimit,
    };
  };
  for (const [path, call] of SEGMENT_PATHS) {
    app.post(path, scoped('ingest', segmentDoc(path, call)), async (req, reply) => {
      const contentType = req.headers['content-type'];
      const ndjson = call === undefined && bodyKind(contentType) === 'ndjson';
      if (!ndjson && !isSegmentJson(contentType)) {
        return reply.code(415).send({
          success: false,
          error: `Segment calls must be application/json (or text/plain, as analytics.js sends)${call === undefined ? '; batches may also be NDJSON (application/x-ndjson), one message per line' : ''}`,
        });
      }
      const r = await handle(
        call,
        (req.body as Buffer | undefined) ?? Buffer.alloc(0),
        req.headers.authorization,
        {
          ndjson,
          historical: HISTORICAL.has(path),
        },
      );
      if (r.retryAfter) reply.header('retry-after', String(r.retryAfter));
      for (const [name, value] of Object.entries(r.rateLimit ?? {})) reply.header(name, value);
      return reply.code(r.status).send(r.body);
    });
  }
};
