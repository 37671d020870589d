import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { RabbitMqDestinationConfig } from '../config.js';
import { fillTemplate } from '../payload.js';
import { type Batch, errorText, type Outcome, type Sender, within } from '../sender.js';

/**
 * Publishes each event to an exchange, persistent, on a confirm channel: the batch counts as delivered when
 * the broker confirmed every message. The message id is the event's key. Where a message goes from the
 * exchange is the exchange's bindings' business (an unbound routing key is dropped by RabbitMQ).
 */
export class RabbitMqSender implements Sender {
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;

  constructor(private readonly config: RabbitMqDestinationConfig) {}

  async send(batch: Batch, signal: AbortSignal): Promise<Outcome> {
    const c = this.config;
    try {
      const ch = await this.open();
      for (const item of batch.items) {
        ch.publish(c.exchange, fillTemplate(c.routingKey, item), Buffer.from(item.text), {
          persistent: true,
          contentType: 'application/json',
          messageId: item.key,
          type: item.type,
        });
      }
      await within(c.timeout, 'RabbitMQ confirms', ch.waitForConfirms(), signal);
      return { kind: 'delivered', status: null };
    } catch (err) {
      await this.drop();
      return { kind: 'retry', status: null, error: errorText(err) };
    }
  }

  private async open(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    const connection = await within(this.config.timeout, 'RabbitMQ connect', amqp.connect(this.config.url));
    // A lost connection or channel is noticed here and dropped; the next attempt opens new ones.
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (this.connection === connection) this.forget();
    });
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    // A missing exchange closes the channel (404): the attempt fails and is retried until it exists.
    await channel.checkExchange(this.config.exchange);
    this.connection = connection;
    this.channel = channel;
    return channel;
  }

  private forget(): void {
    this.connection = undefined;
    this.channel = undefined;
  }

  private async drop(): Promise<void> {
    const connection = this.connection;
    this.forget();
    await connection?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
  }
}
