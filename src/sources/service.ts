import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import type { SourceStats } from './broker-batch.js';
import { KafkaSource } from './kafka/kafka-source.js';
import { MqttSource } from './mqtt/mqtt-source.js';
import { NatsSource } from './nats/nats-source.js';
import { RabbitMqSource } from './rabbitmq/rabbitmq-source.js';

/** A broker source: started with the process, stopped after draining its batch. */
interface BrokerSource {
  readonly stats: SourceStats;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts every broker source of the configuration; each reports its health and counts in /status. */
export async function sourcesService(runtime: Runtime): Promise<void> {
  for (const [name, s] of Object.entries(runtime.config.sources)) {
    const started: [string, BrokerSource][] = [];
    if (s.rabbitmq) started.push(['rabbitmq', new RabbitMqSource(runtime, { source: name, ...s.rabbitmq })]);
    if (s.nats) started.push(['nats', new NatsSource(runtime, { source: name, ...s.nats })]);
    if (s.mqtt) started.push(['mqtt', new MqttSource(runtime, { source: name, ...s.mqtt })]);
    if (s.kafka) started.push(['kafka', new KafkaSource(runtime, { source: name, ...s.kafka })]);
    for (const [kind, source] of started) {
      await source.start();
      runtime.logger.info({ source: name, kind }, 'consuming a broker source');
      runtime.health.add(`source ${name} (${kind})`, () => ({
        status: upIf(source.stats.connected),
        detail: source.stats,
      }));
      runtime.onClose(() => source.stop());
    }
  }
}
