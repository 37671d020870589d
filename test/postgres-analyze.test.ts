import pg from 'pg';
import { expect, it } from 'vitest';
import type { NewEvent } from '../src/core/event.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { pgSchema } from './support/pg-schemas.js';
import { describeWith } from './support/services.js';

const batch = (from: number, n: number): NewEvent[] =>
  Array.from({ length: n }, (_, k) => ({
    source: 'web',
    id: `e${from + k}`,
    type: 'page_viewed',
    subject: null,
    time: Date.now(),
    receivedAt: Date.now(),
    data: '{}',
  }));

describeWith('postgres', 'statistics of the events table in server mode', (url) => {
  it('are refreshed as the table doubles, with two writers sharing the appends', async () => {
    const schema = pgSchema(url);
    // Two stores on one schema: two worker processes.
    const a = await PostgresStore.open({ url, schema });
    const b = await PostgresStore.open({ url, schema });
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const analyzed = async () =>
      Number(
        (
          await db.query('SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)', [
            `${schema}.events`,
          ])
        ).rows[0].n,
      );
    try {
      for (let i = 0; i < 16; i++) await (i % 2 ? b : a).append(batch(i * 1000, 1000));
      await Promise.all([a.close(), b.close()]);
      // Each writer has seen 8,000 of its own events, and the last seq says 16,000: the table was analyzed
      // at its doublings as the seqs count them, the last at 8,000 or more.
      expect(await analyzed()).toBeGreaterThanOrEqual(8000);
      const stats = await db.query(
        'SELECT attname FROM pg_stats WHERE schemaname = $1 AND tablename = $2 ORDER BY attname',
        [schema, 'events'],
      );
      // The columns plans read, not the JSON ones.
      expect(stats.rows.map((r) => r.attname)).toEqual([
        'ce_source',
        'id',
        'received_at',
        'seq',
        'source',
        'subject',
        'time',
        'type',
      ]);
    } finally {
      await db.end();
    }
  });
});
