import type { RouteDoc } from '../openapi/route-doc.js';
import { any, bool, list, obj, str } from '../openapi/schema-kit.js';

export const LAKE_DOC: RouteDoc = {
  summary: 'The lake: its tables, and its last 20 runs with the partitions each wrote',
  description: 'Without a lake: section in panoramix.yaml it answers {configured: false, message}.',
  tags: ['lake'],
  response: {
    200: {
      description: 'the lake, or that there is none',
      schema: {
        anyOf: [
          obj({ configured: { const: false }, message: str() }, ['configured', 'message']),
          obj(
            {
              configured: { const: true },
              target: any('where the lake writes (a directory or s3://…)'),
              format: str(),
              tables: list(
                obj(
                  {
                    name: str(),
                    datasources: any('what each table is read from'),
                    partitions: any('how it is partitioned'),
                    incremental: any('how a run picks up where the last stopped, or null'),
                    schedule: any('a cron expression, or null'),
                  },
                  ['name'],
                ),
              ),
              runs: list(
                obj({ id: str(), status: str(), forced: bool, written: list({ type: 'object' }) }, ['id']),
              ),
            },
            ['configured', 'tables', 'runs'],
          ),
        ],
      },
      example: {
        configured: false,
        message: 'the lake is not configured (add a lake: section to panoramix.yaml)',
      },
    },
  },
};
