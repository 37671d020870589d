import type { Feature, Role } from '../core/feature.js';
import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import type { SourceStats } from './broker-batch.js';

/** A broker source: started with the process, stopped after draining its batch. */
interface BrokerSource {
  readonly stats: SourceStats;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The broker sources feature: every RabbitMQ, NATS, MQTT and Kafka source of the configuration, consumed by
 * the collecting processes; each reports its health and counts in /status. A broker's client library loads
 * only when a source of that broker is configured.
 */
export class BrokerSources implements Feature {
  readonly name = 'broker sources';
  readonly roles: readonly Role[] = ['all', 'serve'];
  private readonly running: BrokerSource[] = [];

  constructor(private readonly runtime: Runtime) {}

  async start(): Promise<void> {
    const { runtime } = this;
    for (const [name, s] of Object.entries(runtime.config.sources)) {
      const started: [string, BrokerSource][] = [];
      if (s.rabbitmq) {
        const { RabbitMqSource } = await import('./rabbitmq/rabbitmq-source.js');
        started.push(['rabbitmq', new RabbitMqSource(runtime, { source: name, ...s.rabbitmq })]);
      }
      if (s.nats) {
        const { NatsSource } = await import('./nats/nats-source.js');
        started.push(['nats', new NatsSource(runtime, { source: name, ...s.nats })]);
      }
      if (s.mqtt) {
        const { MqttSource } = await import('./mqtt/mqtt-source.js');
        started.push(['mqtt', new MqttSource(runtime, { source: name, ...s.mqtt })]);
      }
      if (s.kafka) {
        const { KafkaSource } = await import('./kafka/kafka-source.js');
        started.push(['kafka', new KafkaSource(runtime, { source: name, ...s.kafka })]);
      }
      for (const [kind, source] of started) {
        await source.start();
        runtime.logger.info({ source: name, kind }, 'consuming a broker source');
        runtime.health.add(`source ${name} (${kind})`, () => ({
          status: upIf(source.stats.connected),
          detail: source.stats,
        }));
        this.running.push(source);
      }
    }
  }

  /** Stops the sources, the last started first. */
  async stop(): Promise<void> {
    while (this.running.length) await this.running.pop()!.stop();
  }
}
