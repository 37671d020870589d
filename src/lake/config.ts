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
    target: z
      .string()
      .min(1)
      .describe('Where the lake is: a local directory (relative to panoramix.yaml), or s3://bucket[/path].'),
    s3: z
      .object({
        endpoint: z
          .string()
          .optional()
          .describe('An S3-compatible server, e.g. http://127.0.0.1:4568 (omitted: AWS).'),
        region: z.string().optional().describe('The region (omitted: from the AWS environment).'),
        forcePathStyle: z
          .boolean()
          .optional()
          .describe(
            'Address buckets as host/bucket instead of bucket.host, as most S3-compatible servers need.',
          ),
      })
      .strict()
      .optional()
      .describe(
        'For S3 targets: endpoint, region, path-style addressing. Credentials come from the AWS environment.',
      ),
    format: z
      .enum(['parquet', 'csv'])
      .default('parquet')
      .describe('The files: Parquet, or CSV with a header.'),
    prefix: z.string().default('').describe('A path between the target and the tables.'),
    partitions: z
      .record(ident, z.string())
      .default({})
      .describe(
        'Partitions that are not fields, the first levels below each table, e.g. lms: lms.example.com.',
      ),
    datasources: z
      .record(
        ident,
        z
          .discriminatedUnion('type', [
            z
              .object({
                type: z
                  .literal('mysql')
                  .describe(
                    "mysql (MySQL or MariaDB) and postgres: a database by url; store: Panoramix's own events and projection tables; csv: a directory of CSV files.",
                  ),
                url: z.string().describe('mysql://user:pass@host:3306/db'),
              })
              .strict(),
            z
              .object({
                type: z.literal('postgres'),
                url: z.string().describe('postgres://user:pass@host:5432/db'),
              })
              .strict(),
            z.object({ type: z.literal('store') }).strict(),
            z
              .object({
                type: z.literal('csv'),
                dir: z
                  .string()
                  .describe(
                    'A directory of CSV files with headers (table x is x.csv), relative to panoramix.yaml.',
                  ),
              })
              .strict(),
          ])
          .describe('A datasource: where tables are read from.'),
      )
      .describe('Where tables are read from, by name.'),
    tables: z
      .record(
        ident,
        z
          .object({
            datasources: z
              .array(ident)
              .min(1)
              .describe('The datasources feeding this table (several must share its fields).'),
            source: z
              .string()
              .regex(/^(projection:)?[A-Za-z_][A-Za-z0-9_.]*$/, 'a table name, or projection:NAME')
              .optional()
              .describe("The source table, or projection:NAME (default: the lake table's name)."),
            fields: z
              .record(ident, z.enum(LAKE_TYPES))
              .describe(
                'The columns and their types: text, bigint, integer, double, decimal, boolean, timestamp, date.',
              ),
            fixed: z
              .record(ident, z.union([z.string(), z.number(), z.boolean(), z.null()]))
              .default({})
              .describe('A fixed value per field: a constant, or null to mask personal data.'),
            subject: ident
              .optional()
              .describe(
                "The field holding an erasure's subject (default: a field named subject, if any; docs/retention.md).",
              ),
            partitions: z
              .array(ident)
              .default([])
              .describe("Fields that become Hive partitions (removed from the files' columns)."),
            incremental: z
              .object({
                field: ident.describe('A timestamp field that changes when a row does, e.g. modified.'),
                interval: z
                  .string()
                  .refine((s) => !Number.isNaN(parseDuration(s)), 'an interval such as 2 hour')
                  .describe(
                    'How far back a run looks, e.g. 2 hour (plus an overlap of a tenth, at least 5 minutes).',
                  ),
              })
              .strict()
              .optional()
              .describe(
                'Rewrite only the partitions with rows changed in the last interval (omitted: every run is full).',
              ),
            schedule: cronSchema
              .optional()
              .describe('Run extract-and-load for this table on a cron schedule (UTC) under start or batch.'),
          })
          .strict()
          .describe('A lake table: its datasources, fields, partitions and schedule.'),
      )
      .describe('The lake tables, by name.'),
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
