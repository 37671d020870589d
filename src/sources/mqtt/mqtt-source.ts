import mqtt, { type MqttClient } from 'mqtt';
import type { Runtime } from '../../runtime.js';
import { BrokerBatcher, type SourceStats } from '../broker-batch.js';

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
 * so a crash before it makes the broker deliver the message again.
 */
export class MqttSource {
  private readonly batcher: BrokerBatcher;
  private client: MqttClient | undefined;

  constructor(
    runtime: Runtime,
    private readonly options: MqttSourceOptions,
  ) {
    this.batcher = new BrokerBatcher(runtime, options.source, options.batch, options.batchMs);
  }

  get stats(): SourceStats {
    return this.batcher.stats;
  }

  async start(): Promise<void> {
    const o = this.options;
    const client = await mqtt.connectAsync(o.url, {
      // MQTT 5: the client lets the application decide when to send each PUBACK (customHandleAcks).
      protocolVersion: 5,
      clientId: o.clientId,
      clean: false,
      // MQTT 5 ends a session at disconnect unless it has an expiry: keep it a week, so messages published while
      // this process is down (or crashed) wait for it.
      properties: { sessionExpiryInterval: 7 * 24 * 3600 },
      customHandleAcks: (_topic, payload, _packet, done) => {
        this.batcher.push({ body: payload, ack: () => done(0), nack: () => undefined });
      },
    });
    this.client = client;
    client.on('close', () => {
      this.stats.connected = false;
    });
    client.on('error', (err) => {
      this.stats.lastError = err.message;
    });
    await client.subscribeAsync([...o.topics], { qos: 1 });
    this.stats.connected = true;
  }

  async stop(): Promise<void> {
    await this.batcher.drain();
    await this.client?.endAsync().catch(() => undefined);
    this.stats.connected = false;
  }
}
