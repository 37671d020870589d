import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Loss, type Session } from '../../core/supervisor.js';
import type { Runtime } from '../../runtime.js';
import { SupervisedSource } from '../supervised-source.js';

/** NATS subjects feeding one source, through a JetStream stream and a durable consumer (at-least-once). */
export interface NatsSourceOptions {
  readonly source: string;
  readonly url: string;
  readonly stream: string;
  readonly subjects: readonly string[];
  readonly batch: number;
  readonly batchMs: number;
  /** How long JetStream waits for an acknowledgement before it delivers the message again. */
  readonly ackWaitSeconds: number;
}

/**
 * Pulls from a durable consumer; each message is acknowledged after its batch is durable (see BrokerBatcher).
 * The client's own reconnection is off: the supervisor reconnects with the configured backoff, declares the
 * stream and the consumer again, and the durable consumer continues from its last acknowledged message.
 */
export class NatsSource extends SupervisedSource {
  constructor(
    runtime: Runtime,
    private readonly options: NatsSourceOptions,
  ) {
    super(runtime, options.source, 'nats', options.batch, options.batchMs);
  }

  protected async open(): Promise<Session> {
    const o = this.options;
    const nc = await connect({ servers: o.url, reconnect: false });
    const loss = new Loss();
    void nc.closed().then((err) => loss.mark(err instanceof Error ? err : undefined));
    let consumer: Awaited<ReturnType<ReturnType<typeof jetstream>['consumers']['get']>>;
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams
        .info(o.stream)
        .catch(() => jsm.streams.add({ name: o.stream, subjects: [...o.subjects] }));
      const durable = `panoramix-${o.source}`;
      // Messages delivered to a session that was lost come again after ack_wait: it follows the configuration.
      const ackWait = Math.round(o.ackWaitSeconds * 1e9);
      const info = await jsm.consumers.info(o.stream, durable).catch(() => undefined);
      if (!info)
        await jsm.consumers.add(o.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          ack_wait: ackWait,
        });
      else if (info.config.ack_wait !== ackWait)
        await jsm.consumers.update(o.stream, durable, { ack_wait: ackWait });
      consumer = await jetstream(nc).consumers.get(o.stream, durable);
    } catch (err) {
      loss.mark();
      await nc.close().catch(() => undefined);
      throw err;
    }
    let consuming = true;
    const loop = (async () => {
      while (consuming && loss.live) {
        try {
          const msgs = await consumer.fetch({ max_messages: o.batch, expires: 1000 });
          for await (const m of msgs)
            this.batcher.push({
              body: m.data,
              ack: () => {
                if (loss.live) m.ack();
              },
              nack: () => {
                if (loss.live) m.nak();
              },
            });
          await this.batcher.drain();
        } catch (err) {
          // A fetch that fails (the server gone, the consumer deleted) ends the session; a new one declares
          // the stream and consumer again after the backoff, instead of this loop retrying in place.
          loss.mark(err as Error);
          await nc.close().catch(() => undefined);
        }
      }
    })();
    return {
      lost: loss.lost,
      close: async () => {
        consuming = false;
        await loop;
        await this.batcher.drain();
        if (loss.live) await nc.drain().catch(() => undefined);
        loss.mark();
        await nc.close().catch(() => undefined);
      },
    };
  }
}
