import { z } from 'zod';
import { byteSize } from './byte-size.js';

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
