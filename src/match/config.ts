import { z } from 'zod';
import { parseDuration } from '../core/time.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a slug is lower-case letters, digits, _ and -');
const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 60s, 10m or 3d');

/** The rules that narrow a payment's candidates, applied in the order a scheme lists them. */
export const RULES = ['auth_code', 'card', 'card_token', 'time'] as const;
export type Rule = (typeof RULES)[number];

/** Our field names, and the column (or JSON key) of a provider's or scheme's own file they are read from. */
export const columnsSchema = z.record(z.string(), z.string()).default({});

export const schemeRulesSchema = z
  .object({
    name: z.string().optional(),
    /** Candidate narrowing, in order; a match is the single candidate left. */
    rules: z.array(z.enum(RULES)).default(['auth_code', 'card', 'time']),
    /** Largest difference in amount that still counts as the same purchase (default: exactly equal). */
    amountTolerance: z.number().nonnegative().default(0),
    /** Time window around the payment's time, when both sides know the time; else the same calendar day. */
    window: duration.default('60s'),
    /** Spotting: a payment transaction alone makes the match (no scheme feed). */
    spotting: z.boolean().default(false),
    /** Column mapping of this scheme's files. */
    columns: columnsSchema,
  })
  .strict();

export const providerSchema = z
  .object({
    name: z.string().optional(),
    /** Column mapping of this provider's files (our field → their column). */
    columns: columnsSchema,
    /** The feed a file carries when it has no feed_type column. */
    feed: z.enum(['auth', 'settled', 'refund']).default('settled'),
  })
  .strict();

export const matchingSchema = z
  .object({
    /** The source of imported transactions' events (its write keys guard the upload API). */
    source: z.string().default('matching'),
    providers: z.record(slug, providerSchema).default({}),
    schemes: z.record(slug, schemeRulesSchema).default({}),
    /** A pending transaction with no match this long after its import becomes `unmatched`. */
    unmatchedAfter: duration.default('3d'),
    /** Files dropped in <dir>/payment/<provider>/ and <dir>/scheme/<scheme>/ are imported, then moved to done/. */
    importDir: z.string().optional(),
    pollSeconds: z.number().positive().default(2),
    /** RabbitMQ: import queues per side, the matching job queue, the export exchange. */
    rabbitmq: z
      .object({
        url: z.string().regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL'),
        prefix: z.string().default('panoramix.match'),
      })
      .strict()
      .optional(),
    export: z
      .object({
        /** The queue matches are published to (bound to the export exchange). */
        queue: z.string().default('panoramix.match.export'),
        /** Also write each export run's messages as NDJSON into this directory. */
        dir: z.string().optional(),
        maxAttempts: z.number().int().positive().default(5),
        backoff: duration.default('2s'),
        batch: z.number().int().positive().default(500),
      })
      .strict()
      .default({ queue: 'panoramix.match.export', maxAttempts: 5, backoff: '2s', batch: 500 }),
  })
  .strict();

export type MatchingConfig = z.infer<typeof matchingSchema>;
export type SchemeRules = z.infer<typeof schemeRulesSchema>;
