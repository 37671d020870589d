import { z } from 'zod';
import { parseDuration } from '../core/time.js';
import { cronSchema } from '../project/config.js';
import type { EventFilter } from '../store/event-filter.js';

const age = z.string().refine((s) => parseDuration(s) > 0, 'must be an age such as 400d, 12w or 36h');

/**
 * How long events are kept, per source and per type. An event is removed once it is older (by its event
 * time) than any rule that names its source or its type: the shortest applicable rule wins, since a rule is
 * usually a promise to keep data no longer than that.
 */
export const retentionSchema = z
  .object({
    schedule: cronSchema.default('17 3 * * *').describe('When the removal runs (cron, UTC).'),
    sources: z
      .record(z.string(), age)
      .default({})
      .describe('Per source, the age (by event time) after which its events are removed, e.g. web: 400d.'),
    types: z
      .record(z.string(), age)
      .default({})
      .describe('Per type, the age after which its events are removed; the shortest rule that applies wins.'),
    compactAt: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe(
        'DuckDB: rewrite the file after a run that removed at least this share of the events (0–1); 1 only when it removed them all.',
      ),
  })
  .strict();

export type RetentionConfig = z.infer<typeof retentionSchema>;

/** The events that have expired at `now` (epoch ms), as a filter the store deletes by. */
export function expiredFilter(config: RetentionConfig, now: number): EventFilter {
  return {
    anyOf: [
      ...Object.entries(config.sources).map(([source, a]) => ({ source, before: now - parseDuration(a) })),
      ...Object.entries(config.types).map(([type, a]) => ({ type, before: now - parseDuration(a) })),
    ],
  };
}
