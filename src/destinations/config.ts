import { z } from 'zod';
import { parseByteSize } from '../config/byte-size.js';
import { parseDuration } from '../core/time.js';
import { compileExpr } from '../project/expr/compile.js';
import { duckdbDialect } from '../store/duckdb/duckdb-dialect.js';

const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 500ms, 10s or 1h')
  .transform((s) => parseDuration(s));

const bytes = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseByteSize(v);
  if (!Number.isFinite(n) || n <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (write e.g. 1mb or 512kb)` });
    return z.NEVER;
  }
  return n;
});

// Checked at load (as projections' are), so a shape that does not compile fails with its line.
const expression = z.string().superRefine((text, ctx) => {
  try {
    compileExpr(text, duckdbDialect);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `${(err as Error).message} in expression ${JSON.stringify(text)}`,
    });
  }
});

export const webhookSchema = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
      .describe('Where batches are POSTed.'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        'Sent with every request (an API key, a tenant); the signature and idempotency headers are ours.',
      ),
    format: z
      .enum(['json', 'ndjson'])
      .default('json')
      .describe('json: one array of events per request; ndjson: one event per line.'),
    timeout: duration
      .default(10_000)
      .meta({ yamlDefault: '10s' })
      .describe('A request not answered in this time is a failure, retried.'),
    secret: z
      .string()
      .min(16, 'a signing secret must be at least 16 characters')
      .optional()
      .describe('Signs each body: X-Panoramix-Signature: sha256=HEX(HMAC-SHA256(secret, body)).'),
  })
  .strict()
  .describe('POST batches of events to an HTTP endpoint.');

export const natsDestinationSchema = z
  .object({
    url: z
      .string()
      .regex(/^nats:\/\//, 'must be a nats:// URL')
      .describe('The NATS server.'),
    subject: z
      .string()
      .min(1)
      .describe("The subject each event is published on; {source} and {type} are replaced by the event's."),
    jetstream: z
      .boolean()
      .default(false)
      .describe(
        'Publish through JetStream and wait for its acknowledgement (the subject must be in a stream).',
      ),
    timeout: duration
      .default(10_000)
      .meta({ yamlDefault: '10s' })
      .describe('A publish not confirmed in this time is a failure, retried.'),
  })
  .strict()
  .describe('Publish each event to a NATS subject.');

export const rabbitmqDestinationSchema = z
  .object({
    url: z
      .string()
      .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
      .describe('The broker.'),
    exchange: z.string().min(1).describe('The exchange messages are published to (with publisher confirms).'),
    routingKey: z
      .string()
      .default('{type}')
      .describe("The routing key of each message; {source} and {type} are replaced by the event's."),
    timeout: duration
      .default(10_000)
      .meta({ yamlDefault: '10s' })
      .describe('A publish not confirmed in this time is a failure, retried.'),
  })
  .strict()
  .describe('Publish each event to a RabbitMQ exchange.');

export const kafkaDestinationSchema = z
  .object({
    brokers: z.array(z.string()).min(1).describe('Bootstrap brokers, host:port.'),
    topic: z.string().min(1).describe('The topic events are produced to.'),
    timeout: duration
      .default(10_000)
      .meta({ yamlDefault: '10s' })
      .describe('A publish not confirmed in this time is a failure, retried.'),
  })
  .strict()
  .describe(
    'Produce each event to a Kafka topic (untested against a live broker: none runs on these machines).',
  );

export const destinationSchema = z
  .object({
    webhook: webhookSchema.optional(),
    nats: natsDestinationSchema.optional(),
    rabbitmq: rabbitmqDestinationSchema.optional(),
    // Untested against a live broker: none runs on these machines.
    kafka: kafkaDestinationSchema.optional(),
    projection: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Send this latest projection's change feed (each changed key, its new row and seq) instead of events.",
      ),
    shape: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a name of letters, digits and _'),
        expression,
      )
      .optional()
      .describe(
        'Send each event as these fields, each an expression of the projection language (omitted: the whole event).',
      ),
    filter: z
      .object({
        sources: z.array(z.string()).optional().describe('Only events of these sources (omitted: all).'),
        types: z.array(z.string()).optional().describe('Only events of these types (omitted: all).'),
      })
      .strict()
      .default({})
      .describe('Which events go.'),
    batch: z
      .object({
        count: z.number().int().positive().max(100_000).default(500).describe('Most events in a batch.'),
        bytes: bytes
          .default(1024 * 1024)
          .meta({ yamlDefault: '1mb' })
          .describe('Most bytes in a batch (1mb, 512kb or bytes).'),
        wait: duration
          .default(200)
          .meta({ yamlDefault: '200ms' })
          .describe('How long the first event of a partial batch waits for more.'),
      })
      .strict()
      .default({ count: 500, bytes: 1024 * 1024, wait: 200 })
      .describe('A batch goes when it holds count events or bytes, or when its first event has waited wait.'),
    retry: z
      .object({
        initial: duration
          .default(500)
          .meta({ yamlDefault: '500ms' })
          .describe('The first wait after a failure.'),
        max: duration.default(300_000).meta({ yamlDefault: '5m' }).describe('The longest wait.'),
      })
      .strict()
      .default({ initial: 500, max: 300_000 })
      .describe('Waits between failed attempts: capped exponential backoff with jitter.'),
    pauseAfter: duration
      .default(86_400_000)
      .meta({ yamlDefault: '24h' })
      .describe(
        'Failing without a success for this long pauses the destination until it is resumed by hand.',
      ),
    start: z
      .enum(['latest', 'earliest'])
      .default('latest')
      .describe(
        "Where a new destination's cursor starts: after the events already stored (latest), or at the first.",
      ),
    poll: duration
      .default(500)
      .meta({ yamlDefault: '500ms' })
      .describe(
        'How often an idle destination looks for new events when no commit in this process wakes it.',
      ),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.projection && d.shape)
      ctx.addIssue({
        code: 'custom',
        path: ['shape'],
        message: "a projection's change feed sends its rows; a shape is for events",
      });
    if (d.projection && (d.filter.sources || d.filter.types))
      ctx.addIssue({
        code: 'custom',
        path: ['filter'],
        message: "a projection's change feed takes the projection's filter; remove this one",
      });
    const kinds = KINDS.filter((k) => d[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a destination needs exactly one of ${KINDS.join(', ')}${kinds.length ? ` (has ${kinds.join(' and ')})` : ''}`,
      });
    }
  });

export const KINDS = ['webhook', 'nats', 'rabbitmq', 'kafka'] as const;
export type DestinationKind = (typeof KINDS)[number];

export const destinationsSchema = z
  .record(
    z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_.-]*$/,
        'must start with a letter or _ and hold only letters, digits, _, . and -',
      ),
    destinationSchema.describe(
      'A destination: exactly one of webhook, nats, rabbitmq or kafka, and its delivery.',
    ),
  )
  .default({});

export type DestinationConfig = z.infer<typeof destinationSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type NatsDestinationConfig = z.infer<typeof natsDestinationSchema>;
export type RabbitMqDestinationConfig = z.infer<typeof rabbitmqDestinationSchema>;
export type KafkaDestinationConfig = z.infer<typeof kafkaDestinationSchema>;

/** The kind of a validated destination (exactly one is set). */
export function kindOf(d: DestinationConfig): DestinationKind {
  return KINDS.find((k) => d[k] !== undefined)!;
}
