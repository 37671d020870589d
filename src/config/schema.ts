import { z } from 'zod';
import { destinationsSchema } from '../destinations/config.js';
import { lakeSchema } from '../lake/config.js';
import { lifecyclesSchema } from '../lifecycle/config.js';
import { matchingSchema } from '../match/config.js';
import { projectionsSchema, queriesSchema } from '../project/config.js';
import { reportsSchema } from '../report/config.js';
import { retentionSchema } from '../retention/config.js';
import { schemasSchema } from '../schemas/config.js';
import { adminTokenSchema, readTokenSchema, tokenValue } from './access.js';
import { parseByteSize } from './byte-size.js';

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
    id: z.string().optional(),
    type: z.string().optional(),
    subject: z.string().optional(),
    time: z.string().optional(),
    /** The payload: a path, or omitted to keep every field that is not mapped to the envelope. */
    data: z.string().optional(),
  })
  .strict();

export const sourceSchema = z
  .object({
    /** Write keys accepted for this source (Bearer token or Basic user). Empty: open, with a warning. */
    writeKeys: z.array(z.string().min(8, 'a write key must be at least 8 characters')).default([]),
    mapping: mappingSchema.optional(),
    description: z.string().optional(),
    /**
     * The CloudEvents `source` attributes this source accepts, as URI prefixes (e.g. https://bars.example/);
     * omitted: any. An event naming another is refused (403) with the accepted prefixes.
     */
    cloudevents: z
      .object({ sources: z.array(z.string().min(1, 'a prefix must not be empty')).min(1) })
      .strict()
      .optional(),
    /** Consume this source's events from a RabbitMQ queue (acknowledged after they are durable). */
    rabbitmq: z
      .object({
        url: z.string().regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL'),
        queue: z.string().min(1),
        prefetch: z.number().int().positive().default(500),
        batchMs: z.number().int().positive().default(50),
      })
      .strict()
      .optional(),
    /** Consume NATS subjects through a JetStream stream and a durable consumer. */
    nats: z
      .object({
        url: z.string().regex(/^nats:\/\//, 'must be a nats:// URL'),
        stream: z.string().regex(/^[A-Za-z0-9_-]+$/),
        subjects: z.array(z.string()).min(1),
        batch: z.number().int().positive().default(500),
        batchMs: z.number().int().positive().default(50),
      })
      .strict()
      .optional(),
    /** Subscribe to MQTT topics at QoS 1 (persistent session, PUBACK after durability). */
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL'),
        topics: z.array(z.string()).min(1),
        clientId: z.string().min(1),
        batch: z.number().int().positive().default(500),
        // The client hands over the next message only after this one's PUBACK: wait as little as possible.
        batchMs: z.number().int().positive().default(1),
      })
      .strict()
      .optional(),
    /** Consume Kafka topics (untested against a live broker: none runs on these machines). */
    kafka: z
      .object({
        brokers: z.array(z.string()).min(1),
        topics: z.array(z.string()).min(1),
        groupId: z.string().default('panoramix'),
        batchMs: z.number().int().positive().default(50),
      })
      .strict()
      .optional(),
  })
  .strict();

export const storeSchema = z
  .object({
    engine: z.enum(['duckdb', 'postgres']).default('duckdb'),
    /** DuckDB file. */
    path: z.string().default('./data/panoramix.duckdb'),
    /** PostgreSQL connection URL (server mode). */
    url: z.string().optional(),
    /** PostgreSQL schema to keep Panoramix's tables in (created when missing). */
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a schema is a name of letters, digits and _')
      .optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    bodyLimit: byteSize.default(10 * 1024 * 1024),
    maxEventsPerRequest: z.number().int().positive().default(10_000),
    /** Events waiting for a commit before new requests get 503 + Retry-After. */
    queueLimit: z.number().int().positive().default(200_000),
    /** Most events written in one commit. */
    maxCommitBatch: z.number().int().positive().default(20_000),
    /** Tokens that may read (projections, queries, reports, events). Empty: reads are open, with a warning. */
    readTokens: z.array(readTokenSchema).default([]),
    /**
     * Tokens that may change state (rebuilds, report runs, quarantine replay and discard, matching changes).
     * Empty: such requests are refused once any read token is set, and open only when no token is set at all.
     */
    adminTokens: z.array(adminTokenSchema).default([]),
    /** A token that /metrics, /status and /api/q/stats then require (an admin token also does). Unset: open. */
    metricsToken: tokenValue.optional(),
    /** Web pages that may send events from a browser (CORS on the ingest routes): origins, or "*" for any. */
    corsOrigins: z
      .array(
        z
          .string()
          .regex(
            /^(\*|https?:\/\/[^/\s]+)$/,
            'an origin is "*" or scheme://host[:port], such as https://shop.example.com (no path)',
          ),
      )
      .default([]),
  })
  .strict();

export const configSchema = z
  .object({
    project: z.string().default('panoramix'),
    store: storeSchema.default(storeSchema.parse({})),
    server: serverSchema.default(serverSchema.parse({})),
    sources: z.record(name, sourceSchema).default({}),
    projections: projectionsSchema,
    queries: queriesSchema,
    reports: reportsSchema,
    lifecycles: lifecyclesSchema,
    schemas: schemasSchema.default(schemasSchema.parse({})),
    lake: lakeSchema.optional(),
    /** How long events are kept, per source and per type (docs/retention.md). */
    retention: retentionSchema.optional(),
    /** Payment/loyalty transaction matching (Harmonia). */
    matching: matchingSchema.optional(),
    /** Where events are pushed: webhooks and brokers, each with its own durable cursor (docs/destinations.md). */
    destinations: destinationsSchema,
    /** Server mode: the NATS JetStream log between collectors (`serve`) and workers (`work`). */
    log: z
      .object({
        url: z.string().regex(/^nats:\/\//, 'must be a nats:// URL'),
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('PANORAMIX'),
        subject: z.string().default('panoramix.events'),
        /** How long a worker may hold a batch unacknowledged before JetStream gives it to another worker. */
        ackWaitSeconds: z.number().positive().default(30),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
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
