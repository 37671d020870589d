import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import type { SupervisedSource } from './supervised-source.js';

/**
 * The broker sources feature: every RabbitMQ, NATS, MQTT and Kafka source of the configuration, consumed by
 * the collecting processes. The start does not wait for any broker: each source's connection is supervised,
 * a broker that is down shows in /status (503, with its last error and next retry) while the rest of the
 * process runs, and its source connects when it can. A broker's client library loads only when a source of
 * that broker is configured.
 */
export class BrokerSources implements Feature {
  readonly name = 'broker sources';
  readonly roles: readonly Role[] = ['all', 'serve'];
  private readonly running: SupervisedSource[] = [];

  constructor(private readonly runtime: Runtime) {}

  async start(): Promise<void> {
    const { runtime } = this;
    for (const [name, s] of Object.entries(runtime.config.sources)) {
      const started: SupervisedSource[] = [];
      if (s.rabbitmq) {
        const { RabbitMqSource } = await import('./rabbitmq/rabbitmq-source.js');
        started.push(new RabbitMqSource(runtime, { source: name, ...s.rabbitmq }));
      }
      if (s.nats) {
        const { NatsSource } = await import('./nats/nats-source.js');
        started.push(new NatsSource(runtime, { source: name, ...s.nats }));
      }
      if (s.mqtt) {
        const { MqttSource } = await import('./mqtt/mqtt-source.js');
        started.push(new MqttSource(runtime, { source: name, ...s.mqtt }));
      }
      if (s.kafka) {
        const { KafkaSource } = await import('./kafka/kafka-source.js');
        started.push(new KafkaSource(runtime, { source: name, ...s.kafka }));
      }
      for (const source of started) {
        source.start();
        runtime.health.addConnection(
          source.supervisor.name,
          () => source.connection,
          () => source.stats,
        );
        this.running.push(source);
      }
    }
  }

  /** Stops the sources, the last started first. */
  async stop(): Promise<void> {
    while (this.running.length) await this.running.pop()!.stop();
  }
}
