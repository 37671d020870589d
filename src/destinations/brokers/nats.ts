import { jetstream } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { NatsDestinationConfig } from '../config.js';
import { fillTemplate } from '../payload.js';
import { type Batch, errorText, type Outcome, type Sender, within } from '../sender.js';

/**
 * Publishes each event as a message on a subject. Plain NATS: the batch counts as delivered once the server
 * has answered a flush after it (NATS itself keeps nothing). JetStream: once the stream acknowledged every
 * message; Nats-Msg-Id is the event's key, so the stream drops a redelivery within its duplicate window.
 */
export class NatsSender implements Sender {
  private nc: NatsConnection | undefined;

  constructor(private readonly config: NatsDestinationConfig) {}

  async send(batch: Batch, signal: AbortSignal): Promise<Outcome> {
    const c = this.config;
    try {
      const nc = await this.connection();
      if (c.jetstream) {
        const js = jetstream(nc, { timeout: c.timeout });
        await within(
          c.timeout,
          'JetStream',
          Promise.all(
            batch.items.map((item) =>
              js.publish(fillTemplate(c.subject, item), item.text, { msgID: item.key }),
            ),
          ),
          signal,
        );
      } else {
        for (const item of batch.items) {
          const h = headers();
          h.set('Nats-Msg-Id', item.key);
          nc.publish(fillTemplate(c.subject, item), item.text, { headers: h });
        }
        await within(c.timeout, 'NATS flush', nc.flush(), signal);
      }
      return { kind: 'delivered', status: null };
    } catch (err) {
      await this.drop();
      return { kind: 'retry', status: null, error: errorText(err) };
    }
  }

  private async connection(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return this.nc;
    // No reconnecting inside the client: a lost connection fails the attempt, and the loop's backoff retries.
    this.nc = await connect({
      servers: this.config.url,
      maxReconnectAttempts: 0,
      timeout: this.config.timeout,
    });
    return this.nc;
  }

  private async drop(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    await nc?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.nc?.drain().catch(() => undefined);
    this.nc = undefined;
  }
}
