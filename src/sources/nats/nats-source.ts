import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Runtime } from '../../runtime.js';
import { BrokerBatcher, type SourceStats } from '../broker-batch.js';

/** NATS subjects feeding one source, through a JetStream stream and a durable consumer (at-least-once). */
export interface NatsSourceOptions {
  readonly source: string;
  readonly url: string;
  readonly stream: string;
  readonly subjects: readonly string[];
  readonly batch: number;
  readonly batchMs: number;
}

/** Pulls from a durable consumer; each message is acknowledged after its batch is durable (see BrokerBatcher). */
export class NatsSource {
  private readonly batcher: BrokerBatcher;
  private nc: NatsConnection | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    runtime: Runtime,
    private readonly options: NatsSourceOptions,
  ) {
    this.batcher = new BrokerBatcher(runtime, options.source, options.batch, options.batchMs);
  }

  get stats(): SourceStats {
    return this.batcher.stats;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.nc = await connect({ servers: o.url });
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams
      .info(o.stream)
      .catch(() => jsm.streams.add({ name: o.stream, subjects: [...o.subjects] }));
    const durable = `panoramix-${o.source}`;
    await jsm.consumers
      .info(o.stream, durable)
      .catch(() => jsm.consumers.add(o.stream, { durable_name: durable, ack_policy: AckPolicy.Explicit }));
    const consumer = await jetstream(this.nc).consumers.get(o.stream, durable);
    this.stats.connected = true;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const msgs = await consumer.fetch({ max_messages: o.batch, expires: 1000 });
          for await (const m of msgs)
            this.batcher.push({ body: m.data, ack: () => m.ack(), nack: () => m.nak() });
          await this.batcher.drain();
        } catch (err) {
          this.stats.lastError = (err as Error).message;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.batcher.drain();
    await this.nc?.drain().catch(() => undefined);
    this.stats.connected = false;
  }
}
