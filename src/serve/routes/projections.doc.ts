import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { any, bool, int, list, nullable, num, obj, query, str, time } from '../openapi/schema-kit.js';

const tags = ['projections'];

const FRESHNESS = obj(
  {
    watermark: int('the highest event seq in the batch view'),
    speedEvents: int('events after the watermark folded in by the speed layer'),
    batchAt: nullable(time),
    ageSeconds: nullable(num),
  },
  ['watermark', 'speedEvents', 'batchAt', 'ageSeconds'],
);
const COLUMN = obj({ name: str(), type: str() }, ['name', 'type']);

const ANSWER = obj(
  {
    freshness: FRESHNESS,
    columns: list(COLUMN),
    rows: list({ type: 'object' }),
    nextCursor: nullable(str('pass as cursor for the next page')),
  },
  ['freshness', 'columns', 'rows'],
);

const FORMAT = {
  enum: ['json', 'ndjson', 'csv', 'parquet'],
  description: 'the answer’s form; the Accept header chooses it when this is absent (Parquet needs DuckDB)',
};

const READ_ERRORS = {
  400: errorResponse('a filter, sort, limit or format is not well formed'),
  404: errorResponse('no projection or query of that name'),
  503: errorResponse('the projection is being built for the first time (Retry-After)'),
};

const ANSWER_EXAMPLE = {
  freshness: { watermark: 1200, speedEvents: 3, batchAt: '2026-12-03T07:00:00.000Z', ageSeconds: 42 },
  columns: [
    { name: 'order_id', type: 'VARCHAR' },
    { name: 'status', type: 'VARCHAR' },
  ],
  rows: [{ order_id: 'o-1001', status: 'FULFILLED' }],
  nextCursor: null,
};

export const PROJECTIONS_DOC: RouteDoc = {
  summary: 'The projections and named queries this token may read, with their columns and freshness',
  tags,
  response: {
    200: {
      description: 'the projections and queries',
      schema: obj(
        {
          projections: list(
            obj(
              {
                name: str(),
                shape: str('latest, counter, sql…'),
                description: nullable(str()),
                version: nullable(str()),
                columns: list(COLUMN),
                freshness: nullable(FRESHNESS),
                building: { ...bool, description: 'a new version is being built (or the first)' },
              },
              ['name', 'shape', 'version', 'columns', 'freshness', 'building'],
            ),
          ),
          queries: list(
            obj({ name: str(), description: nullable(str()), params: any('the parameters it takes') }, [
              'name',
            ]),
          ),
        },
        ['projections', 'queries'],
      ),
    },
  },
};

export const PROJECTION_DOC: RouteDoc = {
  summary: 'Reads a projection: filtered, sorted and paged, as JSON, NDJSON, CSV or Parquet',
  description:
    'Filters are query parameters: column=value, or column[gt|gte|lt|lte|in|eq]=value (in: comma-separated). The answer carries its freshness (also as x-panoramix-watermark, x-panoramix-speed-events, x-panoramix-batch-at headers) and an ETag: If-None-Match answers 304 while nothing changed. A limited token reads through its fixed filters.',
  tags,
  querystring: query({
    sort: str('columns, comma-separated; -column for descending'),
    limit: { type: 'string', pattern: '^-?[0-9]+$', description: 'rows per page' },
    cursor: str('the nextCursor of the previous page'),
    format: FORMAT,
  }),
  response: {
    200: { description: 'the rows', schema: ANSWER, example: ANSWER_EXAMPLE },
    304: { description: 'not modified since the ETag given in If-None-Match' },
    ...READ_ERRORS,
  },
};

export const REBUILD_DOC: RouteDoc = {
  summary: 'Rebuilds a projection from the log, and swaps the new version in when it is done',
  tags,
  response: {
    200: {
      description: 'the new version',
      schema: obj({ name: str(), version: str(), watermark: int(), buildMs: num }, [
        'name',
        'version',
        'watermark',
      ]),
      example: { name: 'orders', version: '3f2a9c_1733209200000', watermark: 1200, buildMs: 850 },
    },
    404: errorResponse('no projection of that name'),
  },
};

export const QUERY_DOC: RouteDoc = {
  summary: 'Runs a named query (panoramix.yaml queries) with its parameters, as JSON, NDJSON or CSV',
  description: 'Each parameter the query declares is a query parameter of the same name.',
  tags,
  querystring: query({ format: { ...FORMAT, enum: ['json', 'ndjson', 'csv'] } }),
  response: {
    200: { description: 'the rows', schema: ANSWER, example: ANSWER_EXAMPLE },
    ...READ_ERRORS,
  },
};
