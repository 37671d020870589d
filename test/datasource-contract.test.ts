import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvDatasource } from '../src/lake/datasources/csv-datasource.js';
import type { LakeDatasource, SourceRow } from '../src/lake/datasources/datasource.js';
import { MysqlDatasource } from '../src/lake/datasources/mysql-datasource.js';
import { PostgresDatasource } from '../src/lake/datasources/postgres-datasource.js';
import { serviceUrl } from './support/services.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

// One contract, every datasource the lake reads: the same table gives the same rows, a batch at a time.
const TABLE = 'pmx_contract_rows';
const N = 20_000; // more than any adapter reads ahead before it pauses
const rows = Array.from({ length: N }, (_, i) => ({
  id: i,
  course: i % 10 === 0 ? null : `course-${i % 3}`,
  note: `note ${i} ✓, "quoted"`,
  modified: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
}));

interface Engine {
  name: string;
  /** Reached over the network: its connection can be cut. */
  network?: true;
  open(): Promise<{ ds: LakeDatasource; drop(): Promise<void>; through?: Through } | undefined>;
}

/** The same datasource reached through a TCP proxy of the test's own (for network engines). */
type Through = (proxy: TcpProxy) => LakeDatasource;

const engines: Engine[] = [
  {
    name: 'MariaDB',
    network: true,
    async open() {
      const url = serviceUrl('mariadb');
      if (!url) return undefined;
      const my = await mysql.createConnection({ uri: url, timezone: 'Z' });
      await my.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await my.query(
        `CREATE TABLE ${TABLE} (id BIGINT PRIMARY KEY, course VARCHAR(50) NULL, note TEXT, modified DATETIME(3))`,
      );
      await my.query(`INSERT INTO ${TABLE} VALUES ?`, [
        rows.map((r) => [r.id, r.course, r.note, r.modified]),
      ]);
      return {
        ds: new MysqlDatasource(url),
        through: (proxy) => new MysqlDatasource(proxy.url(url)),
        drop: async () => {
          await my.query(`DROP TABLE ${TABLE}`);
          await my.end();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    network: true,
    async open() {
      const url = serviceUrl('postgres');
      if (!url) return undefined;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await client.query(
        `CREATE TABLE ${TABLE} (id BIGINT PRIMARY KEY, course TEXT NULL, note TEXT, modified TIMESTAMPTZ(3))`,
      );
      await client.query(
        `INSERT INTO ${TABLE} SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.course),
          rows.map((r) => r.note),
          rows.map((r) => r.modified),
        ],
      );
      return {
        ds: new PostgresDatasource(url),
        through: (proxy) => new PostgresDatasource(proxy.url(url)),
        drop: async () => {
          await client.query(`DROP TABLE ${TABLE}`);
          await client.end();
        },
      };
    },
  },
  {
    name: 'CSV',
    async open() {
      const dir = tempDir('panoramix-csv-');
      const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
      fs.writeFileSync(
        path.join(dir, `${TABLE}.csv`),
        `id,course,note,modified\n${rows.map((r) => [r.id, r.course ?? '', quote(r.note), r.modified.toISOString()].join(',')).join('\n')}\n`,
      );
      return { ds: new CsvDatasource(dir), drop: async () => undefined };
    },
  },
];

async function collect(batches: AsyncIterable<SourceRow[]>): Promise<{ rows: SourceRow[]; batches: number }> {
  const out: SourceRow[] = [];
  let n = 0;
  for await (const b of batches) {
    expect(b.length).toBeGreaterThan(0);
    out.push(...b);
    n++;
  }
  return { rows: out, batches: n };
}

// Each engine gives its own types (CSV text, drivers numbers and dates): compared as text.
const asText = (r: SourceRow) => ({
  id: String(r.id),
  course: r.course === null ? null : String(r.course),
  note: String(r.note),
  modified: new Date(r.modified as string | Date).toISOString(),
});
const expected = (keep: (r: (typeof rows)[number]) => boolean) =>
  rows.filter(keep).map((r) => asText(r as unknown as SourceRow));
const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);
const FIELDS = ['id', 'course', 'note', 'modified'];

for (const engine of engines) {
  describe(`datasource contract: ${engine.name}`, () => {
    let opened: Awaited<ReturnType<Engine['open']>>;
    beforeAll(async () => {
      opened = await engine.open();
    });
    afterAll(async () => {
      await opened?.ds.close();
      await opened?.drop();
    });

    it('gives every row of a table, in batches', async (ctx) => {
      if (!opened) return ctx.skip();
      const got = await collect(opened.ds.batches(TABLE, FIELDS, { kind: 'all' }));
      expect(got.batches).toBeGreaterThan(2);
      expect(got.rows.map(asText).sort(byId)).toEqual(expected(() => true));
    });

    it('gives the rows at or after a time, and those of some partitions (null among them)', async (ctx) => {
      if (!opened) return ctx.skip();
      const since = new Date(Date.UTC(2026, 0, 1) + 2000 * 60_000);
      const recent = await collect(
        opened.ds.batches(TABLE, FIELDS, { kind: 'since', field: 'modified', since }),
      );
      expect(recent.rows.map(asText).sort(byId)).toEqual(expected((r) => r.id >= 2000));
      const some = await collect(
        opened.ds.batches(TABLE, FIELDS, {
          kind: 'partitions',
          fields: ['course'],
          values: [['course-1'], [null]],
        }),
      );
      expect(some.rows.map(asText).sort(byId)).toEqual(
        expected((r) => r.course === 'course-1' || r.course === null),
      );
    });

    it('lets a reader stop early as often as it likes without keeping a connection', async (ctx) => {
      if (!opened) return ctx.skip();
      // More early stops than the adapters' pools hold connections: a kept one would hang the next read.
      for (let i = 0; i < 5; i++) {
        for await (const b of opened.ds.batches(TABLE, FIELDS, { kind: 'all' })) {
          expect(b.length).toBeGreaterThan(0);
          break;
        }
      }
      const got = await collect(opened.ds.batches(TABLE, FIELDS, { kind: 'all' }));
      expect(got.rows).toHaveLength(N);
    });

    it.runIf(engine.network)(
      'fails a read whose connection is lost midway, instead of waiting for ever',
      async (ctx) => {
        if (!opened?.through) return ctx.skip();
        const target = new URL(engine.name === 'MariaDB' ? serviceUrl('mariadb')! : serviceUrl('postgres')!);
        const proxy = await startTcpProxy(target.hostname, Number(target.port));
        const ds = opened.through(proxy);
        try {
          let got = 0;
          const read = (async () => {
            for await (const b of ds.batches(TABLE, FIELDS, { kind: 'all' })) {
              got += b.length;
              if (got === b.length) proxy.cut(); // after the first batch, with the rest still to come
            }
          })();
          await expect(read).rejects.toThrow();
          expect(got).toBeLessThan(N);
        } finally {
          await ds.close().catch(() => undefined);
          await proxy.close();
        }
      },
      20_000,
    );

    it('fails a read of a table that is not there, naming it', async (ctx) => {
      if (!opened) return ctx.skip();
      await expect(collect(opened.ds.batches('pmx_no_such_table', FIELDS, { kind: 'all' }))).rejects.toThrow(
        /pmx_no_such_table/,
      );
      expect((await collect(opened.ds.batches(TABLE, FIELDS, { kind: 'all' }))).rows).toHaveLength(N);
    });
  });
}
