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
export const columnsSchema = z
  .record(z.string(), z.string())
  .default({})
  .describe(
    'Column mapping of the files: our field (transaction_id, merchant_id, time, amount, …) → their column.',
  );

export const schemeRulesSchema = z
  .object({
    name: z.string().optional().describe("The scheme's display name."),
    rules: z
      .array(z.enum(RULES))
      .default(['auth_code', 'card', 'time'])
      .describe("The rules that rank a payment's candidates, in order; a match is a mutual single best."),
    amountTolerance: z
      .number()
      .nonnegative()
      .default(0)
      .describe('Largest difference in amount that still counts as the same purchase (0: exactly equal).'),
    window: duration
      .default('60s')
      .describe(
        "Time window around the payment's time, when both sides know the time; else the same calendar day.",
      ),
    spotting: z
      .boolean()
      .default(false)
      .describe('Spotting: a payment transaction alone makes the match (no scheme feed).'),
    columns: columnsSchema,
  })
  .strict()
  .describe('A loyalty scheme (a retailer) and its matching rules.');

export const providerSchema = z
  .object({
    name: z.string().optional().describe("The provider's display name."),
    columns: columnsSchema,
    feed: z
      .enum(['auth', 'settled', 'refund'])
      .default('settled')
      .describe('The feed a file carries when it has no feed_type column.'),
  })
  .strict()
  .describe('A payment provider (a card network) and the shape of its files.');

export const matchingSchema = z
  .object({
    source: z
      .string()
      .default('matching')
      .describe('The source of transaction events; its write keys guard the upload and change API.'),
    providers: z.record(slug, providerSchema).default({}).describe('Payment providers, by slug.'),
    schemes: z.record(slug, schemeRulesSchema).default({}).describe('Loyalty schemes, by slug.'),
    unmatchedAfter: duration
      .default('3d')
      .describe('A pending transaction with no match this long after its import becomes unmatched.'),
    importDir: z
      .string()
      .optional()
      .describe(
        'Files dropped in <dir>/payment/<provider>/ and <dir>/scheme/<scheme>/ are imported, then moved to done/.',
      ),
    pollSeconds: z.number().positive().default(2).describe('How often importDir is scanned, in seconds.'),
    rabbitmq: z
      .object({
        url: z
          .string()
          .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
          .describe('The broker, amqp://user:pass@host:5672.'),
        prefix: z
          .string()
          .default('panoramix.match')
          .describe(
            'Names of the import queues (<prefix>.import.payment, .import.scheme), jobs queue and export exchange.',
          ),
      })
      .strict()
      .optional()
      .describe(
        'RabbitMQ: import queues per side, the matching job queue, the export exchange (without it, no export).',
      ),
    export: z
      .object({
        queue: z
          .string()
          .default('panoramix.match.export')
          .describe('The queue matches are published to (bound to the export exchange).'),
        dir: z
          .string()
          .optional()
          .describe("Also write each export run's messages as NDJSON into this directory."),
        maxAttempts: z
          .number()
          .int()
          .positive()
          .default(5)
          .describe('Publish attempts before an export becomes EXPORT_FAILED (until retried by hand).'),
        backoff: duration
          .default('2s')
          .describe('The wait after the first failed publish, doubling after each.'),
        batch: z.number().int().positive().default(500).describe('Most exports published in one run.'),
      })
      .strict()
      .default({ queue: 'panoramix.match.export', maxAttempts: 5, backoff: '2s', batch: 500 })
      .describe('Publishing matches, exactly once, through an outbox and a ledger queue.'),
  })
  .strict();

export type MatchingConfig = z.infer<typeof matchingSchema>;
export type SchemeRules = z.infer<typeof schemeRulesSchema>;
