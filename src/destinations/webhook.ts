import { createHmac } from 'node:crypto';
import type { WebhookConfig } from './config.js';
import { type Batch, errorText, type Outcome, type Sender } from './sender.js';

/** Most of a refusal's body kept with its dead letters. */
const RESPONSE_KEPT = 4096;

/** POSTs batches as JSON arrays or NDJSON, signed when a secret is set, within a timeout. */
export class WebhookSender implements Sender {
  constructor(private readonly config: WebhookConfig) {}

  async send(batch: Batch, signal: AbortSignal): Promise<Outcome> {
    const c = this.config;
    const texts = batch.items.map((i) => i.text);
    const body = c.format === 'ndjson' ? `${texts.join('\n')}\n` : `[${texts.join(',')}]`;
    const headers: Record<string, string> = {
      ...c.headers,
      'content-type': c.format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      'idempotency-key': batch.key,
      'user-agent': 'panoramix',
    };
    if (c.secret)
      headers['x-panoramix-signature'] =
        `sha256=${createHmac('sha256', c.secret).update(body).digest('hex')}`;
    const timeout = AbortSignal.timeout(c.timeout);
    try {
      const res = await fetch(c.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([signal, timeout]),
        redirect: 'manual',
      });
      const text = (await res.text()).slice(0, RESPONSE_KEPT);
      if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status };
      if (res.status >= 500 || res.status === 429 || res.status === 408) {
        const retryAfterMs = retryAfter(res.headers.get('retry-after'));
        return {
          kind: 'retry',
          status: res.status,
          error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        };
      }
      // A redirect is not followed (it would change where signed events go): it is refused like a 4xx.
      return { kind: 'refused', status: res.status, response: text };
    } catch (err) {
      if (timeout.aborted) return { kind: 'retry', status: null, error: `no answer within ${c.timeout} ms` };
      return { kind: 'retry', status: null, error: errorText(err) };
    }
  }

  async close(): Promise<void> {}
}

/** Retry-After as milliseconds: a number of seconds, or an HTTP date. */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
