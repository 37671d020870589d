import { type DestinationConfig, kindOf } from './config.js';
import type { Sender } from './sender.js';
import { WebhookSender } from './webhook.js';

/** The sender of a destination's kind; a broker's driver is loaded only when a destination of it exists. */
export async function openSender(config: DestinationConfig): Promise<Sender> {
  switch (kindOf(config)) {
    case 'webhook':
      return new WebhookSender(config.webhook!);
    case 'nats':
      return new (await import('./brokers/nats.js')).NatsSender(config.nats!);
    case 'rabbitmq':
      return new (await import('./brokers/rabbitmq.js')).RabbitMqSender(config.rabbitmq!);
    case 'kafka':
      return new (await import('./brokers/kafka.js')).KafkaSender(config.kafka!);
  }
}
