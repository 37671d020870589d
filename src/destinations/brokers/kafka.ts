import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { KafkaDestinationConfig } from '../config.js';
import { type Batch, errorText, type Outcome, type Sender, within } from '../sender.js';

/**
 * Produces each event to a topic, keyed by its idempotency key, with an idempotent producer and acks from
 * every in-sync replica. UNTESTED against a live broker: no Kafka broker runs on these machines.
 */
export class KafkaSender implements Sender {
  private producer: Producer | undefined;

  constructor(private readonly config: KafkaDestinationConfig) {}

  async send(batch: Batch, signal: AbortSignal): Promise<Outcome> {
    const c = this.config;
    try {
      const producer = await this.open();
      await within(
        c.timeout,
        'Kafka',
        producer.send({
          topic: c.topic,
          acks: -1,
          messages: batch.items.map((item) => ({
            key: item.key,
            value: item.text,
            headers: { 'idempotency-key': item.key, type: item.type },
          })),
        }),
        signal,
      );
      return { kind: 'delivered', status: null };
    } catch (err) {
      await this.close();
      return { kind: 'retry', status: null, error: errorText(err) };
    }
  }

  private async open(): Promise<Producer> {
    if (this.producer) return this.producer;
    // Quiet and without retries of its own: the loop logs each failure and owns the backoff.
    const kafka = new Kafka({
      clientId: 'panoramix',
      brokers: [...this.config.brokers],
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await within(this.config.timeout, 'Kafka connect', producer.connect());
    this.producer = producer;
    return producer;
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }
}
