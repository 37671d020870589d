import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { any, list, nullable, obj, query, str } from '../openapi/schema-kit.js';

const seq = { type: 'string', pattern: '^[0-9]+$' };

export const EVENTS_READ_DOC: RouteDoc = {
  summary:
    'Stored events, newest first (oldest first after a seq), filtered by type, source, subject, time or seq',
  description: 'A limited read token reads the events of its sources only.',
  tags: ['events'],
  querystring: query({
    type: str(),
    source: str('the source (panoramix.yaml sources)'),
    ce_source: str('the CloudEvents source attribute'),
    subject: str(),
    id: str(),
    from: { ...str('events at or after this time (ISO 8601)') },
    to: { ...str('events before this time (ISO 8601)') },
    after: { ...seq, description: 'events after this seq, oldest first (to page forwards)' },
    before: { ...seq, description: 'events before this seq' },
    limit: { ...seq, description: '1 to 10000; 100 unless said' },
  }),
  response: {
    200: {
      description: 'the events, and the last seq stored',
      schema: obj(
        {
          events: list(
            obj(
              {
                seq: { type: ['integer', 'string'] },
                source: str(),
                ce_source: nullable(str()),
                id: str(),
                type: str(),
                subject: nullable(str()),
                time: any('the event’s time'),
                received_at: any('when Panoramix received it'),
                data: any('the payload'),
                ce_attributes: any('other CloudEvents attributes, or null'),
              },
              ['seq', 'source', 'id', 'type', 'data'],
            ),
          ),
          lastSeq: { type: ['integer', 'string'] },
        },
        ['events', 'lastSeq'],
      ),
      example: {
        events: [
          {
            seq: 7,
            source: 'orders',
            ce_source: 'shop',
            id: 'o-1001',
            type: 'order.created',
            subject: 'customer-42',
            time: '2026-12-03T07:00:00.000Z',
            received_at: '2026-12-03T07:00:00.120Z',
            data: { total: 42.5 },
            ce_attributes: null,
          },
        ],
        lastSeq: 7,
      },
    },
    400: errorResponse('a filter is not well formed'),
  },
};
