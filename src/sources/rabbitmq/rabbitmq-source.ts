import amqp from 'amqplib';
import { Loss, type Session } from '../../core/supervisor.js';
import type { Runtime } from '../../runtime.js';
import { SupervisedSource } from '../supervised-source.js';

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

/**
 * Consumes a durable queue in batches, acknowledging after the batch is durable (see BrokerBatcher). Delivery
 * tags belong to their channel: a message that arrived on a lost channel is never settled on a new one (it
 * would settle another message, or close the channel); RabbitMQ requeues it when the old channel dies.
 */
export class RabbitMqSource extends SupervisedSource {
  constructor(
    runtime: Runtime,
    private readonly options: RabbitMqSourceOptions,
  ) {
    super(runtime, options.source, 'rabbitmq', options.prefetch, options.batchMs);
  }

  protected async open(): Promise<Session> {
    const o = this.options;
    const connection = await amqp.connect(o.url);
    const loss = new Loss();
    const drop = () => void connection.close().catch(() => undefined);
    connection.on('error', (err: Error) => loss.note(err));
    connection.on('close', (err?: Error) => loss.mark(err));
    try {
      const channel = await connection.createChannel();
      channel.on('error', (err: Error) => loss.note(err));
      // A channel closed by the broker (a deleted queue, a protocol error) ends the session: open a new one.
      channel.on('close', () => {
        loss.mark(new Error('the channel was closed'));
        drop();
      });
      await channel.assertQueue(o.queue, { durable: true });
      await channel.prefetch(o.prefetch);
      const { consumerTag } = await channel.consume(o.queue, (msg) => {
        if (!msg) {
          loss.mark(new Error(`RabbitMQ cancelled the consumer of queue ${o.queue}`));
          drop();
          return;
        }
        this.batcher.push({
          body: msg.content,
          ack: () => {
            if (loss.live) channel.ack(msg);
          },
          nack: () => {
            if (loss.live) channel.nack(msg, false, true);
          },
        });
      });
      return {
        lost: loss.lost,
        close: async () => {
          if (loss.live) await channel.cancel(consumerTag).catch(() => undefined);
          await this.batcher.drain();
          loss.mark();
          await connection.close().catch(() => undefined);
        },
      };
    } catch (err) {
      loss.mark();
      drop();
      throw err;
    }
  }
}
