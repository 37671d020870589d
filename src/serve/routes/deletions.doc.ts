import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { bool, counts, list, nullable, obj, str, time } from '../openapi/schema-kit.js';

const tags = ['deletions'];

const DELETION = obj(
  {
    id: str(),
    subject: nullable(str('until the request is done; then only its hash stays')),
    subjectHash: str(),
    source: nullable(str()),
    type: nullable(str()),
    since: nullable(time),
    until: nullable(time),
    suppress: bool,
    status: { enum: ['pending', 'running', 'done'] },
    requestedAt: time,
    startedAt: nullable(time),
    finishedAt: nullable(time),
    counts: counts('per place, how many were removed (or, for kept transactions, kept)'),
    doneSteps: list(str()),
  },
  ['id', 'subjectHash', 'status', 'requestedAt', 'counts'],
);

const EXAMPLE = {
  id: '5b0e7c1e-2a3d-4f6b-8c9d-0e1f2a3b4c5d',
  subject: 'u-42',
  subjectHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  source: null,
  type: null,
  since: null,
  until: null,
  suppress: true,
  status: 'pending',
  requestedAt: '2026-12-03T07:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  counts: {},
  doneSteps: [],
};

export const REQUEST_DELETION_DOC: RouteDoc = {
  summary:
    'Asks for a subject’s data to be erased everywhere (events, projections, lake, reports, quarantine…)',
  description:
    'Answered 202 once the request is durable; it is carried out in the background. Several subjects at once (as Segment’s regulations send them): one request each.',
  tags,
  body: {
    schema: obj({
      subject: str('the userId, order id or other subject whose data is erased'),
      subjects: list(str(), '1 to 5000 subjects, instead of subject'),
      source: str('only this source’s'),
      type: str('only events of this type'),
      since: time,
      until: time,
      suppress: { type: 'boolean', description: 'refuse the subject’s events from now on' },
    }),
    example: { subject: 'u-42', suppress: true },
  },
  response: {
    202: {
      description: 'the request (or, for subjects, {deletions: [...]}), with a Location header',
      schema: { anyOf: [DELETION, obj({ deletions: list(DELETION) }, ['deletions'])] },
      example: EXAMPLE,
    },
    400: errorResponse('the body is not a deletion request'),
  },
};

export const LIST_DELETIONS_DOC: RouteDoc = {
  summary: 'The deletion requests, newest first',
  tags,
  querystring: obj({
    limit: { type: 'string', pattern: '^[0-9]+$', description: '1 to 10000; 100 unless said' },
  }),
  response: {
    200: { description: 'the requests', schema: obj({ deletions: list(DELETION) }, ['deletions']) },
    400: errorResponse('limit is not 1 to 10000'),
  },
};

export const DELETION_DOC: RouteDoc = {
  summary: 'A deletion request’s status: pending, running or done, with the counts removed per place',
  tags,
  response: {
    200: {
      description: 'the request',
      schema: DELETION,
      example: { ...EXAMPLE, status: 'done', subject: null },
    },
    404: errorResponse('no such request'),
  },
};
