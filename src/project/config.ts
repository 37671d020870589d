import { Cron } from 'croner';
import { z } from 'zod';
import { duckdbDialect } from '../store/duckdb/duckdb-dialect.js';
import { compileExpr } from './expr/compile.js';
import { ExprError } from './expr/parse.js';
import { parseMeasure } from './measure.js';

const ident = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a name of letters, digits and _ (not starting with a digit)');

// Checked at load, so a definition that does not compile fails with its name and line.
const expression = z.string().superRefine((text, ctx) => {
  try {
    compileExpr(text, duckdbDialect);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `${(err as Error).message} in expression ${JSON.stringify(text)}`,
    });
  }
});

const measure = z.string().superRefine((text, ctx) => {
  try {
    parseMeasure(text, duckdbDialect);
  } catch (err) {
    const msg = err instanceof ExprError ? err.message : (err as Error).message;
    ctx.addIssue({ code: 'custom', message: `${msg} in measure ${JSON.stringify(text)}` });
  }
});

const filter = z
  .object({
    types: z.array(z.string()).optional(),
    sources: z.array(z.string()).optional(),
    /** CloudEvents sources (the ce_source column, as sent). */
    ceSources: z.array(z.string()).optional(),
    where: expression.optional(),
  })
  .strict();

const column = z.union([
  expression,
  z
    .object({
      expr: expression,
      from: z.array(z.string()).optional(),
      pick: z.enum(['latest', 'first']).default('latest'),
    })
    .strict(),
]);

/** A cron expression (5 or 6 fields, UTC), checked at load. */
export const cronSchema = z.string().superRefine((text, ctx) => {
  try {
    new Cron(text, { paused: true }).stop();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a cron schedule: ${(err as Error).message}` });
  }
});

const common = { description: z.string().optional(), schedule: cronSchema.optional() };

export const projectionSchema = z.discriminatedUnion('shape', [
  z
    .object({
      shape: z.literal('aggregate'),
      ...common,
      filter: filter.optional(),
      /** Keep the rolled-up rows of events that retention removes (docs/retention.md). */
      keepHistory: z.boolean().optional(),
      dimensions: z.record(ident, expression).default({}),
      measures: z
        .record(ident, measure)
        .refine((m) => Object.keys(m).length > 0, 'an aggregate needs at least one measure'),
    })
    .strict(),
  z
    .object({
      shape: z.literal('latest'),
      ...common,
      filter: filter.optional(),
      keepHistory: z.boolean().optional(),
      key: z.record(ident, expression).refine((k) => Object.keys(k).length > 0, 'latest needs a key'),
      columns: z.record(ident, column),
    })
    .strict(),
  z.object({ shape: z.literal('sql'), ...common, sql: z.string().min(1) }).strict(),
]);

export const querySchema = z
  .object({
    description: z.string().optional(),
    /** SQL over the store; projection(NAME) reads a projection, :param binds a parameter. */
    sql: z.string().min(1),
    params: z
      .record(
        ident,
        z
          .object({
            type: z.enum(['text', 'integer', 'number', 'timestamp', 'boolean']).default('text'),
            required: z.boolean().default(false),
            default: z.union([z.string(), z.number(), z.boolean()]).optional(),
            description: z.string().optional(),
          })
          .strict(),
      )
      .default({}),
  })
  .strict();

export const projectionsSchema = z.record(ident, projectionSchema).default({});
export const queriesSchema = z.record(ident, querySchema).default({});

export type ProjectionConfig = z.infer<typeof projectionSchema>;
export type QueryConfig = z.infer<typeof querySchema>;
