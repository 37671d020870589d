import type { SourceConfig } from '../config/schema.js';
import { TokenBucket } from '../core/token-bucket.js';

/** What a quota check answers: headers to send either way, and on refusal how long to wait. */
export interface QuotaAnswer {
  readonly ok: boolean;
  /** RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers), for the answer. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whole seconds until the key may send again (refusals only). */
  readonly retryAfterSeconds?: number;
  readonly error?: string;
}

interface Limits {
  readonly events?: TokenBucket;
  readonly bytes?: TokenBucket;
}

/**
 * Quotas per write key (sources.NAME.quota): events and body bytes a second, each a token bucket holding
 * burstSeconds of its rate. A request is taken while both buckets hold anything, and may leave them in debt
 * (see TokenBucket.spend), so big batches are neither refused forever nor a way around the rate.
 */
export class Quotas {
  private readonly byKey = new Map<string, Limits>();

  constructor(private readonly sources: Readonly<Record<string, SourceConfig>>) {}

  /** Charges a request of `events` inputs and `bytes` body bytes to a write key (its digest) of `source`. */
  charge(
    source: string,
    key: string,
    events: number,
    bytes: number,
    now = Date.now(),
  ): QuotaAnswer | undefined {
    const quota = this.sources[source]?.quota;
    if (!quota || (quota.eventsPerSecond === undefined && quota.bytesPerSecond === undefined))
      return undefined;
    let limits = this.byKey.get(key);
    if (!limits) {
      const bucket = (rate: number | undefined) =>
        rate === undefined ? undefined : new TokenBucket(rate * quota.burstSeconds, rate, now);
      limits = { events: bucket(quota.eventsPerSecond), bytes: bucket(quota.bytesPerSecond) };
      this.byKey.set(key, limits);
    }
    const named = [
      ['events', limits.events],
      ['bytes', limits.bytes],
    ].filter((x): x is [string, TokenBucket] => x[1] !== undefined);
    const empty = named.filter(([, b]) => b.untilAny(now) > 0);
    const ok = empty.length === 0;
    if (ok) {
      limits.events?.spend(events, now);
      limits.bytes?.spend(bytes, now);
    }
    const headers = {
      'ratelimit-policy': named.map(([n, b]) => `"${n}";q=${b.capacity};w=${quota.burstSeconds}`).join(', '),
      ratelimit: named
        .map(([n, b]) => `"${n}";r=${b.available(now)};t=${Math.ceil(b.untilFull(now))}`)
        .join(', '),
    };
    if (ok) return { ok, headers };
    const wait = Math.max(1, Math.ceil(Math.max(...empty.map(([, b]) => b.untilAny(now)))));
    return {
      ok,
      headers,
      retryAfterSeconds: wait,
      error: `this write key is over its quota of ${empty
        .map(([n]) =>
          n === 'events' ? `${quota.eventsPerSecond} events/s` : `${quota.bytesPerSecond} bytes/s`,
        )
        .join(' and ')} for source "${source}" (sources.${source}.quota); retry in ${wait} s`,
    };
  }
}
