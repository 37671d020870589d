import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { any, bool, list, nullable, obj, str, time } from '../openapi/schema-kit.js';

const tags = ['reports'];

const RUN = obj(
  {
    id: str(),
    report: str(),
    scheduledFor: nullable(time),
    startedAt: time,
    finishedAt: nullable(time),
    windowStart: time,
    windowEnd: time,
    params: { type: 'object' },
    status: { enum: ['running', 'ok', 'failed', 'skipped'] },
    rows: nullable({ type: 'integer' }),
    file: nullable(str('where the file is, on the server')),
    bytes: nullable({ type: 'integer' }),
    error: nullable(str()),
    download: nullable(str('the file’s path under this API, for a run that succeeded')),
  },
  ['id', 'report', 'status', 'startedAt', 'windowStart', 'windowEnd', 'download'],
);

const RUN_EXAMPLE = {
  id: '0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b',
  report: 'daily-orders',
  scheduledFor: null,
  startedAt: '2026-12-03T07:00:00.000Z',
  finishedAt: '2026-12-03T07:00:01.200Z',
  windowStart: '2026-12-02T00:00:00.000Z',
  windowEnd: '2026-12-03T00:00:00.000Z',
  params: {},
  status: 'ok',
  rows: 420,
  file: '/var/lib/panoramix/reports/daily-orders-2026-12-03.csv',
  bytes: 18250,
  error: null,
  download: '/v1/reports/daily-orders/runs/0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b/file',
};

export const REPORTS_DOC: RouteDoc = {
  summary: 'The reports (panoramix.yaml reports): their source, schedule, next run and last run',
  tags,
  response: {
    200: {
      description: 'the reports',
      schema: obj(
        {
          reports: list(
            obj(
              {
                name: str(),
                description: nullable(str()),
                source: any('{builtin}, {sql}, {projection} or {query}'),
                schedule: nullable(str('a cron expression')),
                next: nullable(any('when it runs next')),
                offset: any('how far the window ends before the run'),
                params: any('its parameters'),
                format: str(),
                running: bool,
                lastRun: nullable({ type: 'object' }),
              },
              ['name', 'source', 'schedule', 'running', 'lastRun'],
            ),
          ),
        },
        ['reports'],
      ),
    },
  },
};

export const REPORT_RUNS_DOC: RouteDoc = {
  summary: 'A report’s last 100 runs, newest first',
  tags,
  response: {
    200: {
      description: 'the runs',
      schema: obj({ runs: list(RUN) }, ['runs']),
      example: { runs: [RUN_EXAMPLE] },
    },
    404: errorResponse('no report of that name'),
  },
};

export const REPORT_FILE_DOC: RouteDoc = {
  summary: 'The file a report run wrote (CSV, JSON, NDJSON or Parquet), as an attachment',
  tags,
  response: {
    200: { description: 'the file', contentType: 'application/octet-stream' },
    404: errorResponse('no such run, or it has no file (it failed, or the file was removed)'),
  },
};

export const RUN_REPORT_DOC: RouteDoc = {
  summary: 'Runs a report now, for a window and with parameters, and answers when it is done',
  tags,
  body: {
    required: false,
    schema: obj({
      end: { ...time, description: 'the end of the window (now, less the report’s offset, unless said)' },
      offset: str('a duration, such as 15m'),
      params: { type: 'object', description: 'the report’s parameters' },
    }),
    example: { end: '2026-12-03T00:00:00Z', params: { country: 'DE' } },
  },
  response: {
    200: { description: 'the run, done', schema: RUN, example: RUN_EXAMPLE },
    400: errorResponse('the body is not JSON, or end is not a time'),
    404: errorResponse('no report of that name'),
    409: { description: 'skipped: the report is already running', schema: RUN },
    500: { description: 'the run failed (its error says why)', schema: RUN },
  },
};
