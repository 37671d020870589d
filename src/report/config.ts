import { z } from 'zod';
import { parseDuration } from '../core/time.js';
import { cronSchema } from '../project/config.js';
import { BUILTIN_REPORTS } from './builtin.js';

const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 15m, 2h or 7d');

export const reportSchema = z
  .object({
    description: z.string().optional(),
    /** Exactly one source: a built-in report, SQL over the store, a projection, or a named query. */
    builtin: z.enum(Object.keys(BUILTIN_REPORTS) as [string, ...string[]]).optional(),
    sql: z.string().optional(),
    projection: z.string().optional(),
    query: z.string().optional(),
    schedule: cronSchema.optional(),
    /** The window's length before `end` (default 15m); `end` defaults to the scheduled time or now. */
    offset: duration.default('15m'),
    /** Other parameters, passed to sql (as :name) and to named queries. */
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    format: z.enum(['csv', 'json', 'ndjson', 'parquet']).default('csv'),
    /** Output path; {name}, {end} (ISO UTC) and {ext} are filled in. Relative to the project file. */
    output: z.string().default('reports/{name}/dt={end}/report.{ext}'),
    /** After downtime: run every missed time (catch_up) or only the next one (skip). */
    missed: z.enum(['catch_up', 'skip']).default('skip'),
  })
  .strict()
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
