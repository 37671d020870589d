import { DuckDBDataChunk, DuckDBInstance, INTEGER } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VECTOR_KINDS, type VectorKind, VectorWriter } from './vector-writer.js';

let instance: DuckDBInstance;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(() => instance.closeSync());

/** Appends one column of values through a VectorWriter and reads them back as DuckDB stored them. */
async function roundTrip(
  sqlType: string,
  kind: VectorKind,
  values: unknown[],
  write: (w: VectorWriter, row: number, v: unknown) => void,
  read = 'v',
): Promise<unknown[]> {
  const c = await instance.connect();
  await c.run(`CREATE OR REPLACE TABLE t (k INTEGER, v ${sqlType})`);
  const appender = await c.createAppender('t');
  const chunk = DuckDBDataChunk.create([INTEGER, VECTOR_KINDS[kind].type], values.length);
  chunk.setColumnValues(
    0,
    values.map((_, k) => k),
  );
  const w = new VectorWriter(chunk, 1, kind, values.length);
  for (const [k, v] of values.entries()) {
    if (v === null) w.setNull(k);
    else write(w, k, v);
  }
  w.flush();
  appender.appendDataChunk(chunk);
  appender.closeSync();
  const rows = (await c.runAndReadAll(`SELECT ${read} AS v FROM t ORDER BY k`)).getRowObjectsJS();
  c.closeSync();
  return rows.map((r) => r.v);
}

describe('VectorWriter', () => {
  it('writes strings inline and long, ASCII or not, and nulls, as DuckDB reads and compares them', async () => {
    const values = [
      '',
      'a',
      'exactly12chr',
      'thirteen char',
      'é',
      'naïve-café',
      '日本',
      'x'.repeat(300),
      null,
      'a',
    ];
    expect(await roundTrip('VARCHAR', 'varchar', values, (w, k, v) => w.setVarchar(k, v as string))).toEqual(
      values,
    );
    // An inlined string equals the same literal, and its equals.
    expect(
      await roundTrip(
        'VARCHAR',
        'varchar',
        ['exactly12chr', 'a', 'é', 'a'],
        (w, k, v) => w.setVarchar(k, v as string),
        "v = 'exactly12chr' OR v = 'é' OR (v = 'a' AND (SELECT count(*) FROM t WHERE v = 'a') = 2)",
      ),
    ).toEqual([true, true, true, true]);
  });

  it('writes 64-bit integers from numbers (negative and at the safe limit) and from BigInts past it', async () => {
    const numbers = [
      0,
      1,
      -1,
      2 ** 32,
      -(2 ** 32) - 1,
      2 ** 31,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    expect(await roundTrip('BIGINT', 'bigint', numbers, (w, k, v) => w.setInt64(k, v as number))).toEqual(
      numbers.map(BigInt),
    );
    const big = [9223372036854775807n, -9223372036854775808n, null];
    expect(await roundTrip('BIGINT', 'bigint', big, (w, k, v) => w.setBigInt64(k, v as bigint))).toEqual(big);
  });

  it('writes timestamps as microseconds, before 1970 and far ahead', async () => {
    const times = ['1969-12-31T23:59:59.999Z', '2026-01-01T00:00:00.001Z', '9999-12-31T23:59:59.999Z'];
    const micros = times.map((t) => Date.parse(t) * 1000);
    const read = await roundTrip(
      'TIMESTAMPTZ',
      'timestamptz',
      micros,
      (w, k, v) => w.setInt64(k, v as number),
      'epoch_us(v)',
    );
    expect(read).toEqual(micros.map(BigInt));
  });

  it('writes 32-bit integers, doubles and booleans, with nulls among them', async () => {
    expect(
      await roundTrip('INTEGER', 'integer', [7, null, -2147483648], (w, k, v) => w.setInt32(k, v as number)),
    ).toEqual([7, null, -2147483648]);
    expect(
      await roundTrip('DOUBLE', 'double', [0.1, null, -1e300], (w, k, v) => w.setDouble(k, v as number)),
    ).toEqual([0.1, null, -1e300]);
    expect(
      await roundTrip('BOOLEAN', 'boolean', [true, false, null], (w, k, v) => w.setBoolean(k, v as boolean)),
    ).toEqual([true, false, null]);
  });
});
