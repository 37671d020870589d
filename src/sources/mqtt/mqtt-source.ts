import mqtt from 'mqtt';
import { Loss, type Session } from '../../core/supervisor.js';
import type { Runtime } from '../../runtime.js';
import type { BrokerMessage } from '../broker-batch.js';
import { SupervisedSource } from '../supervised-source.js';

/** MQTT topics feeding one source, at QoS 1 with a persistent session. */
export interface MqttSourceOptions {
  readonly source: string;
  readonly url: string;
  readonly topics: readonly string[];
  readonly clientId: string;
  readonly batch: number;
  readonly batchMs: number;
}

/**
 * Subscribes at QoS 1 with a persistent session and holds each PUBACK until the message's batch is durable,
 * so a crash before it makes the broker deliver the message again. The client's own reconnection is off: the
 * supervisor opens a new client (same id, same session) with the configured backoff, and the broker resends
 * what was not acknowledged; a PUBACK of the lost client is never sent on the new one.
 */
export class MqttSource extends SupervisedSource {
  constructor(
    runtime: Runtime,
    private readonly options: MqttSourceOptions,
  ) {
    super(runtime, options.source, 'mqtt', options.batch, options.batchMs);
  }

  protected async open(): Promise<Session> {
    const o = this.options;
    const loss = new Loss();
    const client = await mqtt.connectAsync(
      o.url,
      {
        // MQTT 5: the client lets the application decide when to send each PUBACK (customHandleAcks).
        protocolVersion: 5,
        clientId: o.clientId,
        clean: false,
        // MQTT 5 ends a session at disconnect unless it has an expiry: keep it a week, so messages published
        // while this process is down (or crashed) wait for it.
        properties: { sessionExpiryInterval: 7 * 24 * 3600 },
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        customHandleAcks: (_topic, payload, _packet, done) => {
          const msg: BrokerMessage = {
            body: payload,
            ack: () => {
              if (loss.live) done(0);
            },
            // MQTT has no negative acknowledgement, and mqtt.js hands over the next message only after this
            // one's PUBACK: the message is written again (the batcher waited its backoff first), its PUBACK
            // still held, so a crash meanwhile leaves it with the broker.
            nack: () => {
              if (loss.live) this.batcher.push(msg);
            },
          };
          this.batcher.push(msg);
        },
      },
      false,
    );
    client.on('error', (err) => loss.note(err));
    client.on('close', () => loss.mark());
    if (!client.connected) loss.mark(new Error('the connection closed while opening'));
    try {
      await client.subscribeAsync([...o.topics], { qos: 1 });
    } catch (err) {
      loss.mark();
      client.end(true);
      throw err;
    }
    return {
      lost: loss.lost,
      close: async () => {
        await this.batcher.drain();
        const graceful = loss.live;
        loss.mark();
        await client.endAsync(!graceful).catch(() => undefined);
      },
    };
  }
}
