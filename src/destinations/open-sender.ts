import { type DestinationConfig, kindOf } from './config.js';
import type { Sender } from './sender.js';
import { WebhookSender } from './webhook.js';

/** The sender of a destination's kind; broker drivers load only when a destination of theirs exists. */
export async function openSender(config: DestinationConfig): Promise<Sender> {
  const kind = kindOf(config);
  if (kind === 'webhook') return new WebhookSender(config.webhook!);
  throw new Error(`destinations of kind ${kind} are not built yet`);
}
