import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';

const tags = ['status'];
const count = { type: 'integer', minimum: 0 };
const ms = { type: ['number', 'null'] };
const quantiles = {
  type: 'object',
  properties: { p50: ms, p90: ms, p99: ms, max: ms },
};

const CHECK = {
  type: 'object',
  required: ['name', 'ok', 'status'],
  properties: {
    name: { type: 'string' },
    ok: { type: 'boolean', description: 'not down' },
    status: { enum: ['up', 'degraded', 'down'] },
    detail: { description: 'what an operator needs to see of the part (counts, lag, connections)' },
    lastError: { type: ['string', 'null'] },
    nextRetryAt: { type: ['string', 'null'], description: 'when a part that is down tries again (ISO time)' },
    reconnects: count,
  },
};

const STATUS = {
  type: 'object',
  required: ['status', 'uptimeSeconds', 'checks'],
  properties: {
    status: { enum: ['ok', 'degraded', 'unhealthy'] },
    uptimeSeconds: count,
    checks: { type: 'array', items: CHECK },
  },
};

export const STATUS_DOC: RouteDoc = {
  summary: "The server's health: every part (store, log, sources, projections…), up, degraded or down",
  tags,
  response: {
    200: {
      description: 'no part is down',
      schema: STATUS,
      example: {
        status: 'ok',
        uptimeSeconds: 3600,
        checks: [{ name: 'store', ok: true, status: 'up', detail: { engine: 'duckdb' } }],
      },
    },
    503: { description: 'a part is down (the same body, status unhealthy)', schema: STATUS },
  },
};

export const QUEUE_STATS_DOC: RouteDoc = {
  summary: "The collector's queue, counts, rates, commit latency, ingestion lag, quarantine and store",
  description: 'Counts are since the process started; the recent rate is measured from the previous request.',
  tags,
  response: {
    200: {
      description: 'the statistics',
      schema: {
        type: 'object',
        required: ['queue', 'events', 'rates', 'commits', 'lag', 'quarantine', 'store'],
        properties: {
          queue: {
            type: 'object',
            properties: { depth: count, limit: count, oldestPendingMs: { type: 'number' } },
          },
          events: {
            type: 'object',
            properties: {
              submitted: count,
              committed: count,
              duplicates: count,
              refusedQueueFull: count,
              accepted: { type: 'object', additionalProperties: count, description: 'by source' },
              rejected: { type: 'object', additionalProperties: count, description: 'by reason' },
            },
          },
          rates: {
            type: 'object',
            properties: {
              committedPerSecondRecent: { type: 'number' },
              committedPerSecondAverage: { type: 'number' },
            },
          },
          commits: {
            type: 'object',
            properties: {
              count: count,
              failed: count,
              lastError: { type: ['string', 'null'] },
              batchSize: { type: 'object' },
              latencyMs: quantiles,
            },
          },
          lag: {
            type: 'object',
            description:
              'by source: the delay from event time to receipt, and the oldest event not yet durable',
            additionalProperties: {
              type: 'object',
              properties: { delayMs: quantiles, oldestPendingMs: { type: 'number' } },
            },
          },
          quarantine: {
            type: 'object',
            properties: {
              held: { type: 'object', additionalProperties: count, description: 'by reason' },
              quarantinedSinceStart: { type: 'object', additionalProperties: count },
            },
          },
          store: {
            type: 'object',
            properties: {
              engine: { enum: ['duckdb', 'postgres'] },
              lastSeq: count,
              sizeBytes: { type: ['integer', 'null'] },
            },
          },
        },
      },
    },
  },
};

export const METRICS_DOC: RouteDoc = {
  summary: 'Prometheus metrics (the text exposition format)',
  tags,
  response: {
    200: {
      description: 'the metrics',
      contentType: 'text/plain',
      schema: { type: 'string' },
      example:
        '# HELP panoramix_events_accepted_total Events acknowledged as durable, by source\n# TYPE panoramix_events_accepted_total counter\npanoramix_events_accepted_total{source="orders"} 42\n',
    },
    500: errorResponse('a feature could not bring its gauges up to date'),
  },
};
