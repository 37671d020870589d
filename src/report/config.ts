import { z } from 'zod';
import { parseDuration } from '../core/time.js';
import { cronSchema } from '../project/config.js';
import { BUILTIN_REPORTS } from './builtin.js';

const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 15m, 2h or 7d');

export const reportSchema = z
  .object({
    description: z.string().optional().describe('What the report shows.'),
    // Exactly one source: a built-in report, SQL over the store, a projection, or a named query.
    builtin: z
      .enum(Object.keys(BUILTIN_REPORTS) as [string, ...string[]])
      .optional()
      .describe(
        "A built-in report (the orders pipeline's Age, Status and Estimate). One of builtin, sql, projection, query.",
      ),
    sql: z
      .string()
      .optional()
      .describe('SQL over the store; :start and :end bind the window, other :names come from params.'),
    projection: z.string().optional().describe("A projection's rows as the report."),
    query: z
      .string()
      .optional()
      .describe("A named query's rows as the report, with params as its parameters."),
    schedule: cronSchema.optional().describe('When it runs (cron, UTC); omitted: on demand only.'),
    offset: duration
      .default('15m')
      .describe("The window's length before end; end is the scheduled time (or now, or --end)."),
    params: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe('Other parameters, passed to sql (as :name) and to named queries.'),
    format: z.enum(['csv', 'json', 'ndjson', 'parquet']).default('csv').describe('The file format.'),
    output: z
      .string()
      .default('reports/{name}/dt={end}/report.{ext}')
      .describe(
        'Where each run writes, relative to panoramix.yaml; {name}, {end} (ISO UTC) and {ext} are filled in.',
      ),
    missed: z
      .enum(['catch_up', 'skip'])
      .default('skip')
      .describe('After downtime: run every missed time (catch_up) or only the latest (skip).'),
  })
  .strict()
  .describe('A report: exactly one of builtin, sql, projection or query, and when and where it is written.')
  .refine((r) => [r.builtin, r.sql, r.projection, r.query].filter((x) => x !== undefined).length === 1, {
    message: 'a report needs exactly one of builtin, sql, projection or query',
  });

export const reportsSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'report names are letters, digits, _ and -'),
    reportSchema,
  )
  .default({});

export type ReportConfig = z.infer<typeof reportSchema>;
