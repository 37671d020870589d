import { z } from 'zod';
import { destinationsSchema } from '../destinations/config.js';
import { erasureSchema } from '../forget/config.js';
import { lakeSchema } from '../lake/config.js';
import { lifecyclesSchema } from '../lifecycle/config.js';
import { matchingSchema } from '../match/config.js';
import { expressionIssues, projectionsSchema, queriesSchema } from '../project/config.js';
import { reportsSchema } from '../report/config.js';
import { retentionSchema } from '../retention/config.js';
import { schemasSchema } from '../schemas/config.js';
import { dialectOf } from '../store/dialects.js';
import { adminTokenSchema, readTokenSchema, tokenValue } from './access.js';
import { byteSize } from './byte-size.js';
import { reconnectSchema } from './reconnect.js';
import { type mappingSchema, sourceSchema } from './source-schema.js';

const name = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]*$/,
    'must start with a letter or _ and hold only letters, digits, _, . and -',
  );

export const storeSchema = z
  .object({
    engine: z
      .enum(['duckdb', 'postgres'])
      .default('duckdb')
      .describe(
        'duckdb: one embedded file, one process (embedded mode); postgres: server mode, several processes.',
      ),
    path: z
      .string()
      .default('./data/panoramix.duckdb')
      .describe('The DuckDB file (engine: duckdb); its folder is created when missing.'),
    url: z
      .string()
      .optional()
      .describe('The PostgreSQL connection URL, postgres://user:pass@host:5432/db (engine: postgres).'),
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a schema is a name of letters, digits and _')
      .optional()
      .describe(
        "A PostgreSQL schema to keep Panoramix's tables in, created when missing (default: the search path).",
      ),
  })
  .strict();

export const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1').describe('The address to listen on; 0.0.0.0 for every interface.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('The HTTP port (--port overrides it).'),
    bodyLimit: byteSize
      .default(10 * 1024 * 1024)
      .meta({ yamlDefault: '10mb' })
      .describe('Largest request body after decompression (10mb, 512kb or bytes); larger ones get 413.'),
    maxEventsPerRequest: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Most events in one request; larger batches get 413.'),
    queueLimit: z
      .number()
      .int()
      .positive()
      .default(200_000)
      .describe('Events waiting for a commit before new requests get 503 with Retry-After.'),
    maxCommitBatch: z
      .number()
      .int()
      .positive()
      .default(20_000)
      .describe('Most events written in one group commit.'),
    readTokens: z
      .array(readTokenSchema)
      .default([])
      .describe(
        'Tokens that may read events, projections, queries, reports and the dashboard (Authorization: Bearer TOKEN, never in a URL); each may be limited (docs/access.md). Empty: reads are open, logged as a warning at start.',
      ),
    adminTokens: z
      .array(adminTokenSchema)
      .default([])
      .describe(
        'Tokens that may change state (rebuilds, report runs, quarantine replay and discard, matching changes). Empty: such requests are refused once any read token is set, and open only when no token is set at all.',
      ),
    quarantineAnonymousPerMinute: z
      .number()
      .int()
      .min(0)
      .default(600)
      .describe(
        'Most inputs a minute kept in quarantine from requests without a write key that no declared source owns (unparseable bodies; events of undeclared sources: one budget each); more are refused but not kept, and counted in panoramix_quarantine_dropped_total.',
      ),
    metricsToken: tokenValue
      .optional()
      .describe(
        'A token that /metrics, /status and /api/q/stats then require (an admin token also does). Unset: open.',
      ),
    trustProxy: z
      .union([
        z.boolean(),
        z.number().int().nonnegative(),
        z.string().min(1),
        z.array(z.string().min(1)).min(1),
      ])
      .default(false)
      .describe(
        "Behind a reverse proxy: whose X-Forwarded-For and X-Forwarded-Proto to believe for the client's address and scheme. false: nobody's (the default); an address, CIDR or list of them (the proxy's, e.g. 127.0.0.1 or 10.0.0.0/8); a number of proxy hops; true: any (only when nothing else can reach the port).",
      ),
    corsOrigins: z
      .array(
        z
          .string()
          .regex(
            /^(\*|https?:\/\/[^/\s]+)$/,
            'an origin is "*" or scheme://host[:port], such as https://shop.example.com (no path)',
          ),
      )
      .default([])
      .describe(
        'Web pages that may send events from a browser (CORS on the ingest routes): origins such as https://shop.example.com, or "*" for any. Empty: no CORS.',
      ),
  })
  .strict();

export const configSchema = z
  .object({
    project: z.string().default('panoramix').describe("The project's name, shown by the dashboard and logs."),
    store: storeSchema
      .default(storeSchema.parse({}))
      .describe(
        'Where events and projections live: an embedded DuckDB file (default) or PostgreSQL (server mode).',
      ),
    server: serverSchema
      .default(serverSchema.parse({}))
      .describe('The HTTP server: address, request limits, the ingest queue, read tokens and CORS.'),
    sources: z
      .record(name, sourceSchema)
      .default({})
      .describe('The producers of events, by name: each with its write keys, mapping and optional broker.'),
    projections: projectionsSchema.describe(
      'Views of the event store: recomputed in batch from history, kept current by a speed layer (docs/projections.md).',
    ),
    queries: queriesSchema.describe(
      'Named SQL queries over the store and projections, with typed parameters bound, never interpolated.',
    ),
    reports: reportsSchema.describe(
      'Reports run on a schedule, on demand or from the CLI, written to files and recorded (docs/reports.md).',
    ),
    lifecycles: lifecyclesSchema.describe(
      'Message lifecycles: every message by its id, its stages, the missing and overdue ones (docs/lifecycles.md).',
    ),
    schemas: schemasSchema
      .default(schemasSchema.parse({}))
      .describe(
        "The tracking plan: JSON Schemas for each type's data, and what to do with events that break them.",
      ),
    lake: lakeSchema
      .optional()
      .describe(
        'Datalake export: tables and events to Hive-partitioned Parquet or CSV, on disk or S3 (docs/lake.md).',
      ),
    retention: retentionSchema
      .optional()
      .describe('How long events are kept, per source and per type (docs/retention.md).'),
    erasure: erasureSchema
      .default(erasureSchema.parse({}))
      .describe(
        'Erasure by subject: what happens to matching transactions, how suppressions spread (docs/retention.md).',
      ),
    matching: matchingSchema
      .optional()
      .describe('Payment/loyalty transaction matching, Harmonia (docs/matching.md).'),
    destinations: destinationsSchema.describe(
      'Where events are pushed: webhooks and brokers, each with its own durable cursor (docs/destinations.md).',
    ),
    reconnect: reconnectSchema
      .prefault({})
      .describe(
        'How supervised connections (the log, PostgreSQL, the leader lock, brokers) wait between attempts while their service is down (docs/operations.md).',
      ),
    log: z
      .object({
        url: z
          .string()
          .regex(/^nats:\/\//, 'must be a nats:// URL')
          .describe('The NATS server (with JetStream).'),
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('PANORAMIX')
          .describe('The JetStream stream, created when missing (file storage).'),
        subject: z.string().default('panoramix.events').describe('The subject collectors publish events on.'),
        ackWaitSeconds: z
          .number()
          .positive()
          .default(30)
          .describe(
            'How long a worker may hold a batch unacknowledged before JetStream gives it to another worker.',
          ),
      })
      .strict()
      .optional()
      .describe(
        'Server mode: the NATS JetStream log between collectors (serve) and workers (work); needs store.engine: postgres.',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Projections are compiled as the configured engine will run them.
    for (const issue of expressionIssues(c.projections, dialectOf(c.store.engine)))
      ctx.addIssue({ code: 'custom', path: ['projections', ...issue.path], message: issue.message });
    for (const [name, d] of Object.entries(c.destinations)) {
      if (!d.projection) continue;
      const p = c.projections[d.projection];
      if (p?.shape !== 'latest')
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', name, 'projection'],
          message: p
            ? `projection ${d.projection} is of shape ${p.shape}: only latest projections have a change feed`
            : `no projection named ${d.projection}`,
        });
    }
    if (c.log && c.store.engine !== 'postgres') {
      ctx.addIssue({
        code: 'custom',
        path: ['log'],
        message: 'a log needs store.engine: postgres (DuckDB lets one process hold its file)',
      });
    }
  });

/** A validated panoramix.yaml. */
export type Config = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type Mapping = z.infer<typeof mappingSchema>;

export { mappingSchema, sourceSchema } from './source-schema.js';
