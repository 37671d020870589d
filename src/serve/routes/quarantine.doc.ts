import { errorResponse, type JsonSchema, type RouteDoc } from '../openapi/route-doc.js';
import { bool, counts, int, list, nullable, obj, query, str, time } from '../openapi/schema-kit.js';

const tags = ['quarantine'];

const ITEM = obj(
  {
    id: str(),
    source: str(),
    type: nullable(str()),
    reason: { enum: ['unparseable', 'envelope', 'unknown_source', 'forbidden', 'schema', 'unknown_type'] },
    field: nullable(str()),
    error: str(),
    raw: str('the input as received (base64 when it is not UTF-8)'),
    rawEncoding: { enum: ['utf8', 'base64'] },
    rawBytes: int(),
    truncated: bool,
    firstSeen: time,
    lastSeen: time,
    times: int('how often the same input arrived'),
    status: { enum: ['held', 'replayed', 'discarded'] },
  },
  ['id', 'source', 'reason', 'error', 'raw', 'status'],
);

const ITEM_EXAMPLE = {
  id: 'q_7d1c2b3a',
  source: 'orders',
  type: null,
  reason: 'unparseable',
  field: null,
  error: 'not JSON',
  raw: '{not json',
  rawEncoding: 'utf8',
  rawBytes: 9,
  truncated: false,
  firstSeen: '2026-12-03T07:00:00.000Z',
  lastSeen: '2026-12-03T07:00:00.000Z',
  times: 1,
  status: 'held',
};

const FILTERS: Record<string, JsonSchema> = {
  source: str(),
  reason: str('unparseable, envelope, unknown_source, forbidden, schema or unknown_type'),
  type: str(),
  from: str('first seen at or after (ISO time)'),
  to: str('first seen before (ISO time)'),
  ids: str('ids, comma-separated'),
  limit: { type: 'string', pattern: '^[0-9]+$' },
};

const FILTER_BODY = {
  description: 'The same filters as a JSON object (ids as a list); the query string’s are merged in.',
  required: false,
  schema: obj({ ...FILTERS, ids: list(str()), limit: int() }),
};

export const QUARANTINE_LIST_DOC: RouteDoc = {
  summary: 'What could not be accepted, newest first, and how many are held per reason',
  tags,
  querystring: query({ ...FILTERS, status: str('held, replayed or discarded') }),
  response: {
    200: {
      description: 'the items',
      schema: obj({ items: list(ITEM), held: counts('held items by reason') }, ['items', 'held']),
      example: { items: [ITEM_EXAMPLE], held: { unparseable: 1 } },
    },
    400: errorResponse('a filter is not well formed'),
  },
};

export const QUARANTINE_ITEM_DOC: RouteDoc = {
  summary: 'One quarantined input, as received',
  tags,
  response: {
    200: { description: 'the item', schema: ITEM, example: ITEM_EXAMPLE },
    404: errorResponse('nothing quarantined under that id'),
  },
};

export const QUARANTINE_REPLAY_DOC: RouteDoc = {
  summary: 'Runs the held inputs through the current mappings again: what passes is stored',
  tags,
  querystring: query(FILTERS),
  body: { ...FILTER_BODY, example: { source: 'orders', reason: 'schema' } },
  response: {
    200: {
      description: 'what happened',
      schema: obj(
        { replayed: int('now stored'), duplicates: int('of those, already stored'), stillFailing: int() },
        ['replayed', 'duplicates', 'stillFailing'],
      ),
      example: { replayed: 3, duplicates: 0, stillFailing: 1 },
    },
    400: errorResponse('a filter is not well formed'),
  },
};

export const QUARANTINE_DISCARD_DOC: RouteDoc = {
  summary: 'Throws held inputs away (a filter is required)',
  tags,
  querystring: query(FILTERS),
  body: { ...FILTER_BODY, example: { reason: 'unparseable' } },
  response: {
    200: {
      description: 'how many were discarded',
      schema: obj({ discarded: int() }, ['discarded']),
      example: { discarded: 1 },
    },
    400: errorResponse('no filter, or one that is not well formed'),
  },
};
