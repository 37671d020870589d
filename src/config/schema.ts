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
import { parseByteSize } from './byte-size.js';
import { reconnectSchema } from './reconnect.js';

const name = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]*$/,
    'must start with a letter or _ and hold only letters, digits, _, . and -',
  );

const byteSize = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseByteSize(v);
  if (!Number.isFinite(n) || n <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a size (write e.g. 10mb, 512kb or a number of bytes)`,
    });
    return z.NEVER;
  }
  return n;
});

/** Where each envelope field is read from in a source's own event shape (dotted paths). */
export const mappingSchema = z
  .object({
    id: z.string().optional().describe("Path of the event's id in this source's shape, e.g. message_id."),
    type: z.string().optional().describe("Path of the event's type, e.g. event."),
    subject: z.string().optional().describe("Path of the event's subject (what it is about), e.g. order.id."),
    time: z
      .string()
      .optional()
      .describe("Path of the event's time (RFC 3339 or epoch milliseconds); omitted: when received."),
    data: z
      .string()
      .optional()
      .describe(
        'Path of the payload; omitted: every field that is not mapped to the envelope is kept under data.',
      ),
  })
  .strict()
  .describe("Where each envelope field is read from in this source's own event shape (dotted paths).");

export const sourceSchema = z
  .object({
    writeKeys: z
      .array(z.string().min(8, 'a write key must be at least 8 characters'))
      .default([])
      .describe(
        'Write keys accepted for this source (Authorization: Bearer KEY, or Basic KEY: as Segment sends). Empty: anyone may write, logged as a warning at start.',
      ),
    mapping: mappingSchema.optional(),
    description: z.string().optional().describe('What this source is, for people reading the file.'),
    quota: z
      .object({
        eventsPerSecond: z.number().positive().optional().describe('Events a second one write key may send.'),
        bytesPerSecond: byteSize
          .optional()
          .describe('Body bytes a second one write key may send (e.g. 1mb).'),
        burstSeconds: z
          .number()
          .positive()
          .default(1)
          .describe('How many seconds of the rate a key may send at once, after being idle.'),
      })
      .strict()
      .optional()
      .describe(
        'Limits per write key of this source; over them a request answers 429 with Retry-After and the RateLimit-Policy and RateLimit headers. Omitted: no limit.',
      ),
    cloudevents: z
      .object({
        sources: z
          .array(z.string().min(1, 'a prefix must not be empty'))
          .min(1)
          .describe('URI prefixes, e.g. https://bars.example/.'),
      })
      .strict()
      .optional()
      .describe(
        'The CloudEvents source attributes this source accepts, as URI prefixes; omitted: any. An event naming another is refused (403) with the accepted prefixes.',
      ),
    rabbitmq: z
      .object({
        url: z
          .string()
          .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
          .describe('The broker, amqp://user:pass@host:5672 (or amqps://).'),
        queue: z.string().min(1).describe('The queue to consume; declared durable when missing.'),
        prefetch: z
          .number()
          .int()
          .positive()
          .default(500)
          .describe('Unacknowledged messages at once, which is also the largest batch.'),
        batchMs: z
          .number()
          .int()
          .positive()
          .default(50)
          .describe('How long a partial batch waits for more messages before it is committed, in ms.'),
      })
      .strict()
      .optional()
      .describe(
        "Consume this source's events from a RabbitMQ queue; messages are acknowledged after their events are durable.",
      ),
    nats: z
      .object({
        url: z
          .string()
          .regex(/^nats:\/\//, 'must be a nats:// URL')
          .describe('The NATS server, nats://host:4222.'),
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .describe('The JetStream stream holding the subjects; the durable consumer is panoramix-<source>.'),
        subjects: z
          .array(z.string())
          .min(1)
          .describe('Subjects to consume (wildcards allowed, e.g. sensors.>).'),
        batch: z
          .number()
          .int()
          .positive()
          .default(500)
          .describe('Most messages fetched and committed at once.'),
        batchMs: z
          .number()
          .int()
          .positive()
          .default(50)
          .describe('How long a partial batch waits for more messages before it is committed, in ms.'),
        ackWaitSeconds: z
          .number()
          .positive()
          .default(30)
          .describe(
            'A message not acknowledged this long (its connection was lost) is delivered again; kept on the consumer.',
          ),
      })
      .strict()
      .optional()
      .describe(
        'Consume NATS subjects through a JetStream stream and a durable consumer, acknowledged after durability.',
      ),
    mqtt: z
      .object({
        url: z
          .string()
          .regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL')
          .describe('The broker, mqtt://host:1883 (or mqtts://).'),
        topics: z.array(z.string()).min(1).describe('Topic filters to subscribe to (+ and # allowed).'),
        clientId: z
          .string()
          .min(1)
          .describe('The client id of the persistent session: keep it stable, or queued messages are lost.'),
        batch: z.number().int().positive().default(500).describe('Most messages committed at once.'),
        // The client hands over the next message only after this one's PUBACK: wait as little as possible.
        batchMs: z
          .number()
          .int()
          .positive()
          .default(1)
          .describe(
            "How long a partial batch waits, in ms; keep it small: the client hands over a message only after the previous one's PUBACK.",
          ),
      })
      .strict()
      .optional()
      .describe('Subscribe to MQTT topics at QoS 1 (MQTT 5, persistent session, PUBACK after durability).'),
    kafka: z
      .object({
        brokers: z.array(z.string()).min(1).describe('Bootstrap brokers, host:port.'),
        topics: z.array(z.string()).min(1).describe('Topics to consume.'),
        groupId: z
          .string()
          .default('panoramix')
          .describe('The consumer group; offsets are committed after durability.'),
        batchMs: z
          .number()
          .int()
          .positive()
          .default(50)
          .describe('How long a partial batch waits for more messages before it is committed, in ms.'),
      })
      .strict()
      .optional()
      .describe(
        'Consume Kafka topics (untested against a live broker: none runs on the machines this was built on).',
      ),
  })
  .strict()
  .describe(
    'A producer of events, with its write keys, its field mapping and optionally a broker to consume.',
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
