import { Cron } from 'croner';
import { z } from 'zod';
import type { SqlDialect } from '../store/store.js';
import { compileExpr } from './expr/compile.js';
import { parseMeasure } from './measure.js';

const ident = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a name of letters, digits and _ (not starting with a digit)');

// An expression or a measure is text here; the whole configuration compiles them with the configured engine's
// dialect once it is read (expressionIssues), so a definition that does not compile fails with its place.
const expression = z.string();
const measure = z.string();

/** What does not compile among the projections' expressions and measures, in the given dialect, by place. */
export function expressionIssues(
  projections: Readonly<Record<string, ProjectionConfig>>,
  d: SqlDialect,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const check = (path: (string | number)[], text: string, kind: 'expression' | 'measure') => {
    try {
      if (kind === 'expression') compileExpr(text, d);
      else parseMeasure(text, d);
    } catch (err) {
      issues.push({ path, message: `${(err as Error).message} in ${kind} ${JSON.stringify(text)}` });
    }
  };
  for (const [name, p] of Object.entries(projections)) {
    if (p.shape === 'sql') continue;
    if (p.filter?.where !== undefined) check([name, 'filter', 'where'], p.filter.where, 'expression');
    if (p.shape === 'aggregate') {
      for (const [k, text] of Object.entries(p.dimensions))
        check([name, 'dimensions', k], text, 'expression');
      for (const [k, text] of Object.entries(p.measures)) check([name, 'measures', k], text, 'measure');
    } else {
      for (const [k, text] of Object.entries(p.key)) check([name, 'key', k], text, 'expression');
      for (const [k, c] of Object.entries(p.columns))
        if (typeof c === 'string') check([name, 'columns', k], c, 'expression');
        else check([name, 'columns', k, 'expr'], c.expr, 'expression');
    }
  }
  return issues;
}

const filter = z
  .object({
    types: z.array(z.string()).optional().describe('Only events of these types (omitted: every type).'),
    sources: z.array(z.string()).optional().describe('Only events of these sources (omitted: every source).'),
    ceSources: z
      .array(z.string())
      .optional()
      .describe('Only events of these CloudEvents sources (the ce_source column, as sent).'),
    where: expression
      .optional()
      .describe('Only events for which this expression is true, e.g. data.amount > 0.'),
  })
  .strict()
  .describe('Which events the projection reads.');

const column = z
  .union([
    expression,
    z
      .object({
        expr: expression.describe("The column's expression over the event, e.g. data.customer_id."),
        from: z
          .array(z.string())
          .optional()
          .describe(
            'Only events of these types give the column its value (omitted: every type the filter takes).',
          ),
        pick: z
          .enum(['latest', 'first'])
          .default('latest')
          .describe(
            'latest: the value of the latest such event where it is not null; first: of the earliest.',
          ),
      })
      .strict(),
  ])
  .describe('An expression, or { expr, from, pick } to say which events give the value.');

/** A cron expression (5 or 6 fields, UTC), checked at load. */
export const cronSchema = z.string().superRefine((text, ctx) => {
  try {
    new Cron(text, { paused: true }).stop();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a cron schedule: ${(err as Error).message}` });
  }
});

const common = {
  description: z.string().optional().describe('What the projection holds, shown by the API and dashboard.'),
  schedule: cronSchema
    .optional()
    .describe('When the batch recompute runs (cron, UTC); it also runs at start and on demand.'),
};
const keepHistory = z
  .boolean()
  .optional()
  .describe('Keep the rolled-up rows of events that retention removes (docs/retention.md).');

export const projectionSchema = z.discriminatedUnion('shape', [
  z
    .object({
      shape: z
        .literal('aggregate')
        .describe(
          'aggregate: group-by dimensions and mergeable measures; latest: the current state per key; sql: any SQL over the store, batch only.',
        ),
      ...common,
      filter: filter.optional(),
      keepHistory,
      dimensions: z
        .record(ident, expression)
        .default({})
        .describe('Group-by columns: name → expression, e.g. hour: hour(time).'),
      measures: z
        .record(ident, measure)
        .refine((m) => Object.keys(m).length > 0, 'an aggregate needs at least one measure')
        .describe('name → count(), count(x), sum(x), min(x), max(x) or count_distinct(x).'),
    })
    .strict(),
  z
    .object({
      shape: z.literal('latest'),
      ...common,
      filter: filter.optional(),
      keepHistory,
      key: z
        .record(ident, expression)
        .refine((k) => Object.keys(k).length > 0, 'latest needs a key')
        .describe('The key columns: name → expression, e.g. order_id: subject.'),
      columns: z
        .record(ident, column)
        .describe('The state columns: name → an expression, or { expr, from, pick }.'),
    })
    .strict(),
  z
    .object({
      shape: z.literal('sql'),
      ...common,
      sql: z
        .string()
        .min(1)
        .describe('Any SQL over the store (the events table, projection(NAME)); recomputed in batch.'),
    })
    .strict(),
]);

export const querySchema = z
  .object({
    description: z.string().optional().describe('What the query answers.'),
    sql: z
      .string()
      .min(1)
      .describe('SQL over the store; projection(NAME) reads a projection, :param binds a parameter.'),
    params: z
      .record(
        ident,
        z
          .object({
            type: z
              .enum(['text', 'integer', 'number', 'timestamp', 'boolean'])
              .default('text')
              .describe("The parameter's type; a value that is not of it answers 400."),
            required: z.boolean().default(false).describe('A request without it answers 400.'),
            default: z
              .union([z.string(), z.number(), z.boolean()])
              .optional()
              .describe('The value when the request gives none.'),
            description: z.string().optional().describe('What the parameter means.'),
          })
          .strict()
          .describe('A parameter of the query.'),
      )
      .default({})
      .describe('The parameters, by name (:name in the SQL).'),
  })
  .strict()
  .describe('A named query, served at GET /v1/queries/NAME.');

export const projectionsSchema = z
  .record(ident, projectionSchema.describe('A projection, served at GET /v1/projections/NAME.'))
  .default({});
export const queriesSchema = z.record(ident, querySchema).default({});

export type ProjectionConfig = z.infer<typeof projectionSchema>;
export type QueryConfig = z.infer<typeof querySchema>;
