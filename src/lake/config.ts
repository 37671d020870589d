import { z } from 'zod';
import { parseDuration } from '../core/time.js';
import { cronSchema } from '../project/config.js';

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a name of letters, digits and _');
export const LAKE_TYPES = [
  'text',
  'bigint',
  'integer',
  'double',
  'decimal',
  'boolean',
  'timestamp',
  'date',
] as const;

export const lakeSchema = z
  .object({
    /** A local directory (relative to panoramix.yaml). */
    /** A local directory (relative to panoramix.yaml), or s3://bucket[/path]. */
    target: z.string().min(1),
    /** For S3-compatible servers: endpoint, region, path-style addressing. Credentials come from the AWS environment. */
    s3: z
      .object({
        endpoint: z.string().optional(),
        region: z.string().optional(),
        forcePathStyle: z.boolean().optional(),
      })
      .strict()
      .optional(),
    format: z.enum(['parquet', 'csv']).default('parquet'),
    /** A path between the target and the tables. */
    prefix: z.string().default(''),
    /** Partitions that are not fields, written as the first levels below each table (e.g. lms=lms.example.com). */
    partitions: z.record(ident, z.string()).default({}),
    datasources: z.record(
      ident,
      z.discriminatedUnion('type', [
        z.object({ type: z.literal('mysql'), url: z.string() }).strict(),
        z.object({ type: z.literal('postgres'), url: z.string() }).strict(),
        z.object({ type: z.literal('store') }).strict(),
        /** A directory of CSV files with headers (table x is x.csv), relative to panoramix.yaml. */
        z.object({ type: z.literal('csv'), dir: z.string() }).strict(),
      ]),
    ),
    tables: z.record(
      ident,
      z
        .object({
          /** Datasources feeding this table (they must share its fields). */
          datasources: z.array(ident).min(1),
          /** The source table (default: the lake table's name). */
          source: z
            .string()
            .regex(/^(projection:)?[A-Za-z_][A-Za-z0-9_.]*$/, 'a table name, or projection:NAME')
            .optional(),
          fields: z.record(ident, z.enum(LAKE_TYPES)),
          /** A fixed value per field (a constant, or null to mask personal data). */
          fixed: z.record(ident, z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
          /** Fields that become Hive partitions (removed from the files' columns). */
          partitions: z.array(ident).default([]),
          incremental: z
            .object({
              field: ident,
              interval: z
                .string()
                .refine((s) => !Number.isNaN(parseDuration(s)), 'an interval such as 2 hour'),
            })
            .strict()
            .optional(),
          /** Run extract-and-load for this table on a cron schedule (UTC) in `panoramix start`. */
          schedule: cronSchema.optional(),
        })
        .strict(),
    ),
  })
  .strict()
  .superRefine((lake, ctx) => {
    for (const [name, t] of Object.entries(lake.tables)) {
      for (const d of t.datasources)
        if (!lake.datasources[d])
          ctx.addIssue({
            code: 'custom',
            path: ['tables', name, 'datasources'],
            message: `no datasource named ${d}`,
          });
      for (const p of t.partitions)
        if (!t.fields[p])
          ctx.addIssue({
            code: 'custom',
            path: ['tables', name, 'partitions'],
            message: `partition ${p} is not one of the fields`,
          });
      if (t.incremental && !t.fields[t.incremental.field])
        ctx.addIssue({
          code: 'custom',
          path: ['tables', name, 'incremental'],
          message: `${t.incremental.field} is not one of the fields`,
        });
    }
  });

export type LakeConfig = z.infer<typeof lakeSchema>;
export type LakeTable = LakeConfig['tables'][string];
export type LakeType = (typeof LAKE_TYPES)[number];
