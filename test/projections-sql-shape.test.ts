import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { projectionEngine } from '../src/project/service.js';
import type { Runtime } from '../src/runtime.js';
import { createApp } from '../src/serve/app.js';
import { serviceUrl } from './support/services.js';
import { tempDir } from './support/temp.js';

// A sql projection (examples/orders' events_per_type) on both stores: two bugs of issue 15.
const pgUrl = serviceUrl('postgres');
const ENGINES = ['duckdb', ...(pgUrl ? ['postgres'] : [])] as const;

for (const engine of ENGINES)
  describe(`a sql projection (${engine})`, () => {
    let runtime: Runtime;
    let app: FastifyInstance;
    beforeAll(async () => {
      const dir = tempDir();
      const store =
        engine === 'duckdb'
          ? `{ path: ${dir}/store.duckdb }`
          : `{ engine: postgres, url: "${pgUrl}", schema: sq_${process.pid}_${Date.now()} }`;
      runtime = await createRuntime(
        parseConfig(`store: ${store}
projections:
  events_per_type:
    shape: sql
    sql: SELECT type, count(*) AS events, max(time) AS last_at FROM events GROUP BY type
  with_cte:
    shape: sql
    sql: WITH t AS (SELECT type FROM events) SELECT count(*) AS n FROM t
`),
        dir,
        pino({ level: 'silent' }),
      );
      app = await createApp(runtime);
      const t0 = Date.parse('2026-11-24T10:00:00Z');
      await runtime.committer.submit(
        Array.from({ length: 10 }, (_, i) => ({
          source: 's',
          id: `e${i}`,
          type: `t${i % 5}`,
          subject: null,
          time: t0 + i * 1000,
          data: '{}',
          receivedAt: t0,
        })),
      );
    });
    afterAll(async () => {
      await app.close();
      await runtime.close();
    });

    // A build used to read every event committed when its statement ran, past the watermark it recorded, so
    // what a version held depended on how the build raced ingest (5 rows on one store, 0 on the other).
    it('holds the events up to its watermark, and no later one', async () => {
      const engineOf = await projectionEngine(runtime);
      await engineOf.rebuild('events_per_type', 5);
      await engineOf.rebuild('with_cte', 5);
      const a = await runtime.projections!.read('events_per_type');
      expect(a.freshness.watermark).toBe(5);
      expect(a.rows.map((r) => [r.type, Number(r.events)])).toEqual([
        ['t0', 1],
        ['t1', 1],
        ['t2', 1],
        ['t3', 1],
        ['t4', 1],
      ]);
      expect((await runtime.projections!.read('with_cte')).rows.map((r) => Number(r.n))).toEqual([5]);
    });

    // Its version had no columns, so the CSV had a header of nothing and one empty line per row.
    it('answers CSV with its columns, as the JSON has them', async () => {
      await (await projectionEngine(runtime)).rebuild('events_per_type');
      const json = (await app.inject({ url: '/v1/projections/events_per_type' })).json();
      expect(json.columns.map((c: { name: string }) => c.name)).toEqual(['type', 'events', 'last_at']);
      expect(json.columns.map((c: { type: string }) => c.type)).toEqual(['text', 'bigint', 'timestamp']);
      const csv = (await app.inject({ url: '/v1/projections/events_per_type?format=csv' })).body;
      const lines = csv.trim().split('\n');
      expect(lines[0]).toBe('type,events,last_at');
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
        't0,2',
        't1,2',
        't2,2',
        't3,2',
        't4,2',
      ]);
    });
  });
