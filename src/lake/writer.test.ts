import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { lakeSchema } from './config.js';
import type { SourceRow } from './datasources/datasource.js';
import { openTarget } from './target.js';
import { PartitionWriter } from './writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function* batchesOf(rows: SourceRow[], size: number): AsyncIterable<SourceRow[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

const lake = lakeSchema.parse({
  target: './lake',
  datasources: { db: { type: 'csv', dir: '.' } },
  tables: {
    t: {
      datasources: ['db'],
      fields: {
        seq: 'integer',
        id: 'bigint',
        name: 'text',
        n: 'integer',
        x: 'double',
        ok: 'boolean',
        seen_at: 'timestamp',
        price: 'decimal',
        day: 'date',
        region: 'text',
        masked: 'text',
      },
      fixed: { masked: null },
      partitions: ['region'],
    },
  },
});
const table = lake.tables.t!;

// 5,000 rows (more than one data chunk per batch), three partitions and one null partition, every type,
// nulls in every column; integers as a driver gives them (numbers, BigInts, text past 2^53), times as Dates,
// as text and as MySQL's zero date (an invalid Date, written as NULL).
const rows: SourceRow[] = Array.from({ length: 5000 }, (_, i) => ({
  seq: i,
  id:
    i % 7 === 0
      ? null
      : i % 5 === 1
        ? String(BigInt(i) * 1_000_000_007n)
        : i % 5 === 2
          ? i * 1_000_007
          : BigInt(i) * 1_000_000_007n,
  name: i % 11 === 0 ? null : `name ${i} ✓`,
  n: i % 13 === 0 ? null : i - 2500,
  x: i % 17 === 0 ? null : i / 3,
  ok: i % 19 === 0 ? null : i % 2 === 0,
  seen_at:
    i % 23 === 0
      ? null
      : i % 41 === 1
        ? new Date(Number.NaN)
        : i % 43 === 1
          ? new Date(Date.UTC(1950, 0, 1) + i * 1234).toISOString()
          : new Date(Date.UTC(2026, 0, 1) + i * 1234),
  price: i % 29 === 0 ? null : `${i}.25`,
  day: i % 31 === 0 ? null : new Date(Date.UTC(2026, 1, 1) + i * 86_400_000),
  region: i % 37 === 0 ? null : ['eu', 'us/east', 'asia'][i % 3],
  masked: `secret ${i}`,
}));

async function write(): Promise<{ root: string; keys: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-writer-'));
  dirs.push(dir);
  const target = await openTarget(lake, dir);
  const writer = await PartitionWriter.open();
  try {
    expect(
      await writer.stage(table, [batchesOf(rows.slice(0, 3000), 3000), batchesOf(rows.slice(3000), 700)]),
    ).toBe(5000);
    const written = await writer.writeStaged('t', table, lake, target);
    expect(written.reduce((n, p) => n + p.rows, 0)).toBe(5000);
    return { root: path.join(dir, 'lake'), keys: written.map((p) => p.key) };
  } finally {
    await writer.close();
  }
}

describe('the partition writer', () => {
  it('writes each partition whole, with every value as the source gave it', async () => {
    const { root, keys } = await write();
    expect(keys).toEqual([
      't/region=asia/t.parquet',
      't/region=eu/t.parquet',
      't/region=us%2Feast/t.parquet',
      't/region=__HIVE_DEFAULT_PARTITION__/t.parquet',
    ]);
    // Nothing but the partitions' files is left behind.
    const files = fs
      .readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.includes('.'));
    expect(files.sort()).toEqual(keys.map((k) => k.replaceAll('/', path.sep)).sort());
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run("SET TimeZone = 'UTC'");
    const back = (
      await db.runAndReadAll(
        `SELECT seq, id, name, n, x, ok, epoch_ms(seen_at) AS seen_at, CAST(price AS VARCHAR) AS price, CAST(day AS VARCHAR) AS day, masked,
                regexp_extract(filename, 'region=([^/]+)', 1) AS region
           FROM read_parquet('${root}/t/*/t.parquet', filename = true, hive_partitioning = false)`,
      )
    ).getRowObjectsJS();
    expect(back).toHaveLength(5000);
    const bySeq = new Map(back.map((r) => [r.seq, r]));
    for (const r of rows) {
      const b = bySeq.get(r.seq as number)!;
      expect([b.name, b.n, b.x]).toEqual([r.name, r.n, r.x]);
      expect(b.id).toBe(r.id === null ? null : BigInt(r.id as bigint));
      expect(b.ok).toBe(r.ok);
      const time = r.seen_at === null ? Number.NaN : new Date(r.seen_at as Date).getTime();
      expect(b.seen_at === null ? null : Number(b.seen_at)).toBe(Number.isNaN(time) ? null : time);
      expect(b.price).toBe(r.price === null ? null : `${r.price}00000000`);
      expect(b.day).toBe(r.day === null ? null : (r.day as Date).toISOString().slice(0, 10));
      expect(b.masked).toBeNull();
      expect(decodeURIComponent(b.region as string)).toBe(r.region ?? '__HIVE_DEFAULT_PARTITION__');
    }
  });

  it('gives the same files, byte for byte, when the same rows are written again', async () => {
    const digests = async () => {
      const { root, keys } = await write();
      return keys.map((k) =>
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(root, k)))
          .digest('hex'),
      );
    };
    expect(await digests()).toEqual(await digests());
  });
});

describe('the partition writer, with many rows', () => {
  it('keeps every file sorted, and the same from one run to the next', async () => {
    // Threads of a partitioned COPY wrote the sorted rows in the order they finished: CSV files of 500k rows
    // came out unsorted, and different from run to run.
    const many = lakeSchema.parse({
      target: './lake',
      format: 'csv',
      datasources: { db: { type: 'csv', dir: '.' } },
      tables: {
        m: { datasources: ['db'], fields: { id: 'bigint', region: 'text' }, partitions: ['region'] },
      },
    });
    const N = 500_000;
    async function* scrambled(): AsyncIterable<SourceRow[]> {
      for (let i = 0; i < N; i += 5000)
        yield Array.from({ length: 5000 }, (_, k) => ({
          id: ((i + k) * 7919) % N,
          region: ['eu', 'us', 'asia'][(i + k) % 3],
        }));
    }
    const files = async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-writer-'));
      dirs.push(dir);
      const writer = await PartitionWriter.open();
      try {
        await writer.stage(many.tables.m!, [scrambled()]);
        const written = await writer.writeStaged('m', many.tables.m!, many, await openTarget(many, dir));
        return written.map((p) => fs.readFileSync(path.join(dir, 'lake', p.key), 'utf8'));
      } finally {
        await writer.close();
      }
    };
    const first = await files();
    for (const text of first) {
      const ids = text.trim().split('\n').slice(1).map(Number);
      expect(ids.length).toBeGreaterThan(100_000);
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    }
    expect(await files()).toEqual(first);
  }, 60_000);
});
