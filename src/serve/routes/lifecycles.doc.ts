import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { any, int, list, nullable, obj, query, str, time } from '../openapi/schema-kit.js';
import { INGEST_ERRORS, OUTCOME } from './ingest.doc.js';

const tags = ['lifecycles'];

const MARS_EVENT = obj(
  {
    event: str('the stage (the event type)'),
    messageId: str(),
    app: str(),
    timestamp: any('the event’s time'),
    source: str('the source; the write key’s source (or mars) unless said'),
  },
  ['event'],
);

const ACCEPTED = {
  200: {
    description: 'the events are durable (those not rejected)',
    schema: OUTCOME,
    example: { accepted: 1, duplicates: 0, rejected: [] },
  },
  ...INGEST_ERRORS,
};

export const MARS_EVENT_DOC: RouteDoc = {
  summary: 'Mars-compatible intake: one lifecycle event',
  tags,
  body: {
    schema: MARS_EVENT,
    example: { event: 'sent', messageId: 'm-1', app: 'shop', timestamp: 1764745200000 },
  },
  response: ACCEPTED,
};

export const MARS_BULK_DOC: RouteDoc = {
  summary: 'Mars-compatible intake: several lifecycle events ({events: [...]}, or NDJSON, one a line)',
  tags,
  body: {
    contentTypes: ['application/json', 'application/x-ndjson'],
    schema: { anyOf: [obj({ events: list(MARS_EVENT) }, ['events']), MARS_EVENT] },
    example: { events: [{ event: 'sent', messageId: 'm-1', app: 'shop' }] },
  },
  response: ACCEPTED,
};

export const CREATE_EVENT_DOC: RouteDoc = {
  summary: 'Mars’s test traffic: a few generated messages (some losing a stage) through the intake',
  description: 'Only where a lifecycle turns testTraffic on. Any method.',
  tags,
  response: ACCEPTED,
};

const STAGE = obj(
  {
    stage: str(),
    at: nullable(time),
    count: int(),
    status: { enum: ['seen', 'missing', 'pending', 'overdue', 'skipped'] },
  },
  ['stage', 'at', 'count', 'status'],
);

const MESSAGE = obj(
  {
    messageId: str(),
    app: nullable(str()),
    firstSeen: time,
    lastSeen: time,
    events: int(),
    currentStage: nullable(str()),
    stages: list(STAGE),
    missing: list(str()),
    overdue: list(str()),
    anomalies: list(str()),
  },
  ['messageId', 'stages', 'missing', 'overdue'],
);

const MESSAGE_EXAMPLE = {
  messageId: 'm-1',
  app: 'shop',
  firstSeen: '2026-12-03T07:00:00.000Z',
  lastSeen: '2026-12-03T07:00:05.000Z',
  events: 2,
  currentStage: 'delivered',
  stages: [
    { stage: 'sent', at: '2026-12-03T07:00:00.000Z', count: 1, status: 'seen' },
    { stage: 'delivered', at: '2026-12-03T07:00:05.000Z', count: 1, status: 'seen' },
    { stage: 'opened', at: null, count: 0, status: 'pending' },
  ],
  missing: [],
  overdue: [],
  anomalies: [],
};

const NOT_FOUND = { 404: errorResponse('no lifecycle of that name') };

export const LIFECYCLES_DOC: RouteDoc = {
  summary:
    'The lifecycles (panoramix.yaml lifecycles): stages, deadlines, and how far behind the log each is',
  tags,
  response: {
    200: {
      description: 'the lifecycles',
      schema: obj(
        {
          lifecycles: list(
            obj(
              {
                name: str(),
                description: nullable(str()),
                stages: list(str()),
                terminal: list(str()),
                deadlines: any('per stage, how long it may take'),
                behindBy: { type: 'integer', description: 'events in the log not yet folded' },
              },
              ['name', 'stages', 'behindBy'],
            ),
          ),
        },
        ['lifecycles'],
      ),
    },
  },
};

export const MESSAGES_DOC: RouteDoc = {
  summary: 'A lifecycle’s messages, filtered by app, stage, missing or overdue stage, and time',
  tags,
  querystring: query({
    app: str(),
    stage: str('only messages whose current stage this is'),
    missing: str('only messages missing this stage'),
    overdue: { enum: ['true'], description: 'only messages with an overdue stage' },
    from: str('first seen at or after (ISO time)'),
    to: str('first seen before (ISO time)'),
    limit: { type: 'string', pattern: '^[0-9]+$' },
    offset: { type: 'string', pattern: '^[0-9]+$' },
    at: str('the time deadlines are judged at (now unless said)'),
  }),
  response: {
    200: {
      description: 'a page of messages, and how many match',
      schema: obj({ messages: list(MESSAGE), total: int() }, ['messages', 'total']),
      example: { messages: [MESSAGE_EXAMPLE], total: 1 },
    },
    400: errorResponse('a filter is not well formed'),
    ...NOT_FOUND,
  },
};

export const MESSAGE_DOC: RouteDoc = {
  summary: 'One message: its stages, and the events of its timeline',
  tags,
  response: {
    200: {
      description: 'the message',
      schema: { allOf: [MESSAGE, obj({ timeline: list({ type: 'object' }) }, ['timeline'])] },
      example: {
        ...MESSAGE_EXAMPLE,
        timeline: [{ seq: 7, type: 'sent', time: '2026-12-03T07:00:00.000Z', source: 'mars', data: {} }],
      },
    },
    404: errorResponse('no such lifecycle, or no such message in it'),
  },
};

export const LIVE_DOC: RouteDoc = {
  summary: 'A message’s timeline as it happens: server-sent events, one `stage` event per new event',
  tags,
  response: {
    200: {
      description: 'the stream (a comment line every 15 s keeps it open)',
      contentType: 'text/event-stream',
      schema: { type: 'string' },
      example:
        'event: stage\ndata: {"seq":8,"type":"opened","time":"2026-12-03T07:01:00.000Z","source":"mars","data":{}}\n\n',
    },
    ...NOT_FOUND,
  },
};

export const FUNNEL_DOC: RouteDoc = {
  summary: 'How many messages reached each stage (of one app, if asked)',
  tags,
  querystring: query({ app: str() }),
  response: {
    200: {
      description: 'the funnel, in stage order',
      schema: obj({ funnel: list(obj({ stage: str(), messages: int() }, ['stage', 'messages'])) }, [
        'funnel',
      ]),
      example: {
        funnel: [
          { stage: 'sent', messages: 10 },
          { stage: 'delivered', messages: 9 },
        ],
      },
    },
    ...NOT_FOUND,
  },
};

export const APPS_DOC: RouteDoc = {
  summary: 'Per app: messages, completed, terminated, first and last seen',
  tags,
  response: {
    200: { description: 'the apps', schema: obj({ apps: list({ type: 'object' }) }, ['apps']) },
    ...NOT_FOUND,
  },
};

export const LIFECYCLE_REBUILD_DOC: RouteDoc = {
  summary: 'Rebuilds a lifecycle’s records from the log',
  tags,
  response: {
    200: {
      description: 'rebuilt, up to this seq',
      schema: obj({ name: str(), foldedSeq: { type: 'integer' } }, ['name', 'foldedSeq']),
      example: { name: 'messages', foldedSeq: 1200 },
    },
    ...NOT_FOUND,
  },
};
