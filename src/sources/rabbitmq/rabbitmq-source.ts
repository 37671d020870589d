import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { Runtime } from '../../runtime.js';
import { BrokerBatcher, type SourceStats } from '../broker-batch.js';

/** A RabbitMQ queue feeding one source. */
export interface RabbitMqSourceOptions {
  readonly source: string;
  readonly url: string;
  readonly queue: string;
  /** Messages in flight (unacknowledged) at once: the batch size. */
  readonly prefetch: number;
  /** How long a partial batch waits for more messages before it is written. */
  readonly batchMs: number;
}

/** Consumes a durable queue in batches, acknowledging after the batch is durable (see BrokerBatcher). */
export class RabbitMqSource {
  private readonly batcher: BrokerBatcher;
  private connection: ChannelModel | undefined;
  private channel: Channel | undefined;

  constructor(
    runtime: Runtime,
    private readonly options: RabbitMqSourceOptions,
  ) {
    this.batcher = new BrokerBatcher(runtime, options.source, options.prefetch, options.batchMs);
  }

  get stats(): SourceStats {
    return this.batcher.stats;
  }

  async start(): Promise<void> {
    this.connection = await amqp.connect(this.options.url);
    this.connection.on('error', (err: Error) => {
      this.stats.lastError = err.message;
    });
    this.connection.on('close', () => {
      this.stats.connected = false;
    });
    const channel = await this.connection.createChannel();
    this.channel = channel;
    await channel.assertQueue(this.options.queue, { durable: true });
    await channel.prefetch(this.options.prefetch);
    this.stats.connected = true;
    await channel.consume(this.options.queue, (msg) => {
      if (msg)
        this.batcher.push({
          body: msg.content,
          ack: () => channel.ack(msg),
          nack: () => channel.nack(msg, false, true),
        });
    });
  }

  async stop(): Promise<void> {
    await this.batcher.drain();
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    this.stats.connected = false;
  }
}
