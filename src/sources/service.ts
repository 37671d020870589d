import type { Runtime } from '../runtime.js';
import { addHealthCheck } from '../serve/routes/status.js';
import { RabbitMqSource } from './rabbitmq/rabbitmq-source.js';

/** Starts every broker source of the configuration; each reports its health and counts in /status. */
export async function sourcesService(runtime: Runtime): Promise<void> {
  for (const [name, s] of Object.entries(runtime.config.sources)) {
    if (!s.rabbitmq) continue;
    const source = new RabbitMqSource(runtime, { source: name, ...s.rabbitmq });
    await source.start();
    runtime.logger.info({ source: name, queue: s.rabbitmq.queue }, 'consuming RabbitMQ queue');
    addHealthCheck(runtime, async () => ({
      name: `source ${name} (rabbitmq)`,
      ok: source.stats.connected,
      detail: source.stats,
    }));
    runtime.onClose(() => source.stop());
  }
}
