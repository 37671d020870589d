import { z } from 'zod';
import { type BackoffSettings, defaultBackoff } from '../core/backoff.js';
import { parseDuration } from '../core/time.js';

const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 500ms, 10s or 1h')
  .transform((s) => parseDuration(s));

/**
 * panoramix.yaml `reconnect`: how every supervised connection (the log, the PostgreSQL pool, the leader
 * lock, the brokers) waits between attempts while its service is down.
 */
export const reconnectSchema = z
  .object({
    initial: duration.optional().meta({ yamlDefault: '500ms' }).describe('The first wait after a failure.'),
    max: duration.optional().meta({ yamlDefault: '30s' }).describe('The wait never grows past this.'),
    multiplier: z
      .number()
      .min(1)
      .optional()
      .meta({ default: 2 })
      .describe('Each failure multiplies the wait by this.'),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .meta({ default: 0.5 })
      .describe(
        'Up to this fraction of each wait is taken off at random, so that processes that lost the same service do not retry together.',
      ),
    stableAfter: duration
      .optional()
      .meta({ yamlDefault: '60s' })
      .describe('A connection up this long was healthy: its next failure starts again from initial.'),
  })
  .strict()
  .transform(
    (r): BackoffSettings => ({
      initialMs: r.initial ?? defaultBackoff.initialMs,
      maxMs: r.max ?? defaultBackoff.maxMs,
      multiplier: r.multiplier ?? defaultBackoff.multiplier,
      jitter: r.jitter ?? defaultBackoff.jitter,
      stableAfterMs: r.stableAfter ?? defaultBackoff.stableAfterMs,
    }),
  )
  .refine((b) => b.maxMs >= b.initialMs, 'max must not be shorter than initial');
