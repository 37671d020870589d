import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { bool, int, list, nullable, obj, str, time } from '../openapi/schema-kit.js';

const tags = ['destinations'];

const VIEW = obj(
  {
    name: str(),
    kind: str('webhook, nats, kafka…; of a projection’s changes, it says which'),
    cursor: int('every event up to this seq was delivered, dead-lettered or filtered out'),
    lastSeq: int(),
    lagEvents: int(),
    lagSeconds: { type: 'number' },
    paused: bool,
    pausedReason: nullable(str()),
    failingSince: nullable(time),
    lastStatus: nullable({ type: 'integer' }),
    lastError: nullable(str()),
    lastDeliveredAt: nullable(time),
    deadLetters: int(),
    replay: nullable(
      obj({ from: int(), to: int(), progress: { type: 'number' } }, ['from', 'to', 'progress']),
    ),
  },
  ['name', 'kind', 'cursor', 'lagEvents', 'paused', 'deadLetters', 'replay'],
);

const STATE = obj(
  {
    name: str(),
    cursor: int(),
    paused: bool,
    pausedReason: nullable(str()),
    failingSince: nullable(time),
    lastError: nullable(str()),
    lastStatus: nullable({ type: 'integer' }),
    lastDeliveredAt: nullable(time),
    replayFrom: nullable(int()),
    replayTo: nullable(int()),
    redeliverRequestedAt: nullable(time),
  },
  ['name', 'cursor', 'paused'],
);

const STATE_EXAMPLE = {
  name: 'crm',
  cursor: 1200,
  paused: true,
  pausedReason: 'maintenance of the CRM',
  failingSince: null,
  lastError: null,
  lastStatus: 200,
  lastDeliveredAt: '2026-12-03T07:00:00.000Z',
  replayFrom: null,
  replayTo: null,
  redeliverRequestedAt: null,
};

const ERRORS = {
  404: errorResponse('no destination of that name'),
  409: errorResponse('not possible for this destination (say, dead letters of a projection’s changes)'),
};

export const DESTINATIONS_DOC: RouteDoc = {
  summary: 'The destinations (panoramix.yaml destinations): how far each has delivered, and whether it fails',
  tags,
  response: {
    200: {
      description: 'the destinations',
      schema: obj({ destinations: list(VIEW) }, ['destinations']),
      example: {
        destinations: [
          {
            name: 'crm',
            kind: 'webhook',
            cursor: 1200,
            lastSeq: 1210,
            lagEvents: 10,
            lagSeconds: 1.5,
            paused: false,
            pausedReason: null,
            failingSince: null,
            lastStatus: 200,
            lastError: null,
            lastDeliveredAt: '2026-12-03T07:00:00.000Z',
            deadLetters: 0,
            replay: null,
          },
        ],
      },
    },
  },
};

export const DEAD_LETTERS_DOC: RouteDoc = {
  summary: 'The events a destination gave up on, with the answer it got',
  tags,
  querystring: obj({ limit: { type: 'string', pattern: '^[0-9]+$', description: '100 unless said' } }),
  response: {
    200: {
      description: 'the dead letters',
      schema: obj(
        {
          deadLetters: list(
            obj(
              {
                destination: str(),
                seq: int(),
                source: str(),
                eventId: str(),
                status: { type: 'integer' },
                response: str(),
                failedAt: time,
                requestedAt: nullable(time),
              },
              ['seq', 'eventId', 'status', 'failedAt'],
            ),
          ),
        },
        ['deadLetters'],
      ),
    },
    400: errorResponse('limit is not 1 or more'),
    ...ERRORS,
  },
};

export const PAUSE_DOC: RouteDoc = {
  summary: 'Pauses a destination: nothing is sent until it is resumed',
  tags,
  body: { required: false, schema: obj({ reason: str() }), example: { reason: 'maintenance of the CRM' } },
  response: {
    200: { description: 'its state', schema: STATE, example: STATE_EXAMPLE },
    400: errorResponse('the body is not a JSON object'),
    ...ERRORS,
  },
};

export const RESUME_DOC: RouteDoc = {
  summary: 'Resumes a paused destination',
  tags,
  response: {
    200: {
      description: 'its state',
      schema: STATE,
      example: { ...STATE_EXAMPLE, paused: false, pausedReason: null },
    },
    ...ERRORS,
  },
};

export const REPLAY_DOC: RouteDoc = {
  summary: 'Sends events again from a seq or a time, or sends the dead letters again',
  description: 'Options in the body or the query string: fromSeq or since, or deadLetters: true.',
  tags,
  querystring: obj({
    fromSeq: { type: 'string', pattern: '^[0-9]+$' },
    since: str('an ISO time'),
    deadLetters: { enum: ['true'] },
  }),
  body: {
    required: false,
    schema: obj({ fromSeq: int(), since: str('an ISO time'), deadLetters: bool }),
    example: { since: '2026-12-01T00:00:00Z' },
  },
  response: {
    200: {
      description: 'the replay: the seqs it covers, or how many dead letters are sent again',
      schema: {
        anyOf: [
          obj({ from: int(), to: int() }, ['from', 'to']),
          obj({ deadLetters: int() }, ['deadLetters']),
        ],
      },
      example: { from: 800, to: 1210 },
    },
    400: errorResponse('neither fromSeq nor since, or one not well formed'),
    ...ERRORS,
  },
};
