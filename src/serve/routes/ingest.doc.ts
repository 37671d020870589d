import { SUPPORTED_CONTENT_TYPES } from '../../collect/body.js';
import { errorResponse, type JsonSchema, type ResponseDoc, type RouteDoc } from '../openapi/route-doc.js';
import { any, int, list, obj, str } from '../openapi/schema-kit.js';

const REJECTION = obj(
  {
    index: int('the input’s place in the request (0-based)'),
    line: int('its line, in NDJSON'),
    id: str(),
    field: str('the field that is wrong'),
    error: str(),
  },
  ['index', 'error'],
);

/** What every ingest route answers with, whatever the outcome. */
export const OUTCOME: JsonSchema = obj(
  {
    accepted: int('events now durable'),
    duplicates: int('events already stored (same source and id): not stored again'),
    rejected: list(REJECTION, 'the inputs refused, and why'),
    quarantined: int('inputs held under a quarantine policy, waiting for a replay'),
    error: str(),
  },
  ['accepted', 'duplicates', 'rejected'],
);

/** The answers every ingest route gives (the 200 is each route's own). */
export const INGEST_ERRORS: Readonly<Record<number, ResponseDoc>> = {
  400: errorResponse('the body cannot be read (it is kept in the quarantine)'),
  401: errorResponse('the write key is not valid for any source'),
  413: errorResponse(
    'the body is larger than server.bodyLimit, or holds more than server.maxEventsPerRequest',
  ),
  415: errorResponse('a content type Panoramix does not read'),
  429: { description: 'the write key’s quota is spent (Retry-After, RateLimit headers)', schema: OUTCOME },
  503: {
    description: 'the queue is full or the store is out of reach: retry after Retry-After',
    schema: OUTCOME,
  },
};

const CLOUDEVENT = obj(
  {
    specversion: { const: '1.0' },
    id: str(),
    source: str('the CloudEvents source (stored as ce_source)'),
    type: str(),
    subject: str(),
    time: str(),
    data: any('the payload'),
  },
  ['id', 'type'],
);

export const INGEST_DOC: RouteDoc = {
  summary: 'Sends events: CloudEvents (structured, batched or binary mode), JSON arrays or NDJSON',
  description:
    'Answered once the events are durable. In binary mode the ce-* headers carry the attributes and the body is the data, of any content type. A source without write keys takes events without one.',
  tags: ['collect'],
  body: {
    // application/json first: the example (an array of CloudEvents) is of it.
    contentTypes: ['application/json', ...SUPPORTED_CONTENT_TYPES.filter((t) => t !== 'application/json')],
    schema: { anyOf: [CLOUDEVENT, list(CLOUDEVENT)] },
    example: [
      {
        specversion: '1.0',
        id: 'o-1001',
        source: 'shop',
        type: 'order.created',
        subject: 'customer-42',
        time: '2026-12-03T07:00:00Z',
        data: { total: 42.5, currency: 'EUR' },
      },
    ],
  },
  response: {
    200: {
      description: 'the events are durable (those not rejected)',
      schema: OUTCOME,
      example: { accepted: 1, duplicates: 0, rejected: [] },
    },
    ...INGEST_ERRORS,
  },
};

const SEGMENT_OUTCOME = obj(
  {
    success: { type: 'boolean', description: 'every message was accepted' },
    accepted: int(),
    duplicates: int(),
    rejected: list(REJECTION),
    error: str(),
  },
  // A body over server.bodyLimit is refused before the route: {error} alone.
);

const SEGMENT_MESSAGE = obj({
  type: str('track, identify, page, screen, group or alias (in a batch)'),
  messageId: str(),
  userId: str(),
  anonymousId: str(),
  event: str('the event name, for track'),
  properties: { type: 'object' },
  traits: { type: 'object' },
  timestamp: str(),
  writeKey: str('the write key, as analytics.js sends it'),
});

/** The doc of a Segment route: one call (/v1/track, /v1/t…), or a batch (/v1/batch, /v1/b, /v1/import). */
export function segmentDoc(path: string, call: string | undefined): RouteDoc {
  const batch = call === undefined;
  const historical = path === '/v1/import';
  return {
    summary: batch
      ? `Segment's ${historical ? 'import (historical batches: timestamps are kept as sent)' : 'batch'} call: several messages at once`
      : `Segment's ${call} call${path.length <= 5 ? ' (the short path analytics.js uses)' : ''}`,
    description:
      'Segment’s HTTP Tracking API, so Segment libraries can point here unchanged. The write key is basic auth (the key as user), a bearer token, or writeKey in the body.' +
      (batch ? ' Batches may also be NDJSON, one message per line (Segment’s export files).' : ''),
    tags: ['collect'],
    body: {
      contentTypes: batch
        ? ['application/json', 'text/plain', 'application/x-ndjson']
        : ['application/json', 'text/plain'],
      schema: batch ? obj({ batch: list(SEGMENT_MESSAGE), sentAt: str(), writeKey: str() }) : SEGMENT_MESSAGE,
      example: batch
        ? {
            batch: [
              {
                type: 'track',
                messageId: 'm-1',
                userId: 'u-42',
                event: 'Order Completed',
                properties: { total: 42.5 },
              },
            ],
          }
        : { messageId: 'm-1', userId: 'u-42', event: 'Order Completed', properties: { total: 42.5 } },
    },
    response: {
      200: {
        description: 'the messages are durable (those not rejected)',
        schema: SEGMENT_OUTCOME,
        example: { success: true, accepted: 1, duplicates: 0, rejected: [] },
      },
      400: { description: 'the body cannot be read', schema: SEGMENT_OUTCOME },
      401: { description: 'the write key is not valid for any source', schema: SEGMENT_OUTCOME },
      413: { description: 'too many messages, or too large', schema: SEGMENT_OUTCOME },
      415: { description: 'not JSON', schema: SEGMENT_OUTCOME },
      429: { description: 'the write key’s quota is spent', schema: SEGMENT_OUTCOME },
      503: { description: 'the queue is full or the store is out of reach', schema: SEGMENT_OUTCOME },
    },
  };
}
