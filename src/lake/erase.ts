import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, timestampTZValue } from '@duckdb/node-api';
import { duckdbDialect } from '../store/duckdb/duckdb-dialect.js';
import type { LakeConfig, LakeTable } from './config.js';
import { unescapePartitionValue } from './hive-path.js';
import { openTarget } from './target.js';

/** A subject's rows in the lake: the subject, and the narrowing that the table's fields can express. */
export interface LakeSubject {
  readonly subject: string;
  readonly source?: string;
  readonly type?: string;
  readonly since?: number;
  readonly until?: number;
}

/** The field of a lake table that holds a subject: `subject:` in its definition, else a field named subject. */
export function subjectField(table: LakeTable): string | undefined {
  return table.subject ?? ('subject' in table.fields ? 'subject' : undefined);
}

/**
 * Counts the subject's rows in every lake file (local or S3) of the tables that hold a subject; with `apply`,
 * rewrites each file that holds some without them (a file holding only theirs is removed), through a
 * temporary file placed whole, so a reader sees the old file or the new one. Narrowing by source, type and
 * time applies where the table has fields of those names; where it has not, all of the subject's rows go
 * (erasing more than asked, never less). Running it again finds nothing: a resumed erasure repeats it safely.
 */
export async function eraseFromLake(
  lake: LakeConfig,
  baseDir: string,
  who: LakeSubject,
  apply: boolean,
): Promise<number> {
  const target = await openTarget(lake, baseDir);
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  let total = 0;
  try {
    for (const [name, table] of Object.entries(lake.tables)) {
      const field = subjectField(table);
      if (!field) continue;
      const conds: { col: string; op: '=' | '>=' | '<'; value: string | Date }[] = [
        { col: field, op: '=', value: who.subject },
      ];
      if (who.source !== undefined && 'source' in table.fields)
        conds.push({ col: 'source', op: '=', value: who.source });
      if (who.type !== undefined && 'type' in table.fields)
        conds.push({ col: 'type', op: '=', value: who.type });
      if (who.since !== undefined && 'time' in table.fields)
        conds.push({ col: 'time', op: '>=', value: new Date(who.since) });
      if (who.until !== undefined && 'time' in table.fields)
        conds.push({ col: 'time', op: '<', value: new Date(who.until) });
      const keys = (await target.list(`${path.posix.join(lake.prefix, name)}/`)).filter(
        (k) => k.endsWith(`.${lake.format}`) && !path.posix.basename(k).startsWith('.'),
      );
      for (const key of keys) {
        const inPath = partitionValues(key);
        // Conditions on partition columns are decided by the file's path; the rest by its rows.
        let possible = true;
        const sql: string[] = [];
        const params: unknown[] = [];
        for (const k of conds) {
          if (table.partitions.includes(k.col)) {
            if (!holds(inPath[k.col] ?? null, k.op, k.value)) possible = false;
            continue;
          }
          params.push(
            k.value instanceof Date ? timestampTZValue(BigInt(k.value.getTime()) * 1000n) : k.value,
          );
          const column =
            k.value instanceof Date ? `TRY_CAST(${q(k.col)} AS TIMESTAMPTZ)` : `CAST(${q(k.col)} AS VARCHAR)`;
          sql.push(`${column} ${k.op} $${params.length}`);
        }
        if (!possible) continue;
        const file = await target.fetch(key);
        try {
          const from =
            lake.format === 'parquet'
              ? `read_parquet(${lit(file)}, hive_partitioning = false)`
              : `read_csv(${lit(file)}, header = true, all_varchar = true, hive_partitioning = false)`;
          const where = sql.length ? sql.join(' AND ') : 'TRUE';
          const [counts] = (
            await c.runAndReadAll(
              `SELECT count(*) FILTER (WHERE ${where}) AS hit, count(*) AS n FROM ${from}`,
              params as never,
            )
          ).getRowObjectsJS();
          const hit = Number(counts?.hit ?? 0);
          total += hit;
          if (!apply || hit === 0) continue;
          if (hit === Number(counts?.n ?? 0)) {
            await target.remove(key);
            continue;
          }
          const tmp = target.tempPath(key);
          const format = lake.format === 'parquet' ? 'FORMAT parquet' : 'FORMAT csv, HEADER true';
          await c.run(
            `COPY (SELECT * FROM ${from} WHERE NOT coalesce(${where}, FALSE)) TO ${lit(tmp)} (${format})`,
            params as never,
          );
          await target.place(tmp, key);
        } finally {
          if (file !== target.uri(key)) fs.rmSync(file, { force: true });
        }
      }
    }
  } finally {
    c.closeSync();
    instance.closeSync();
  }
  return total;
}

function partitionValues(key: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const seg of key.split('/').slice(0, -1)) {
    const i = seg.indexOf('=');
    if (i > 0) out[seg.slice(0, i)] = unescapePartitionValue(seg.slice(i + 1));
  }
  return out;
}

function holds(v: string | null, op: '=' | '>=' | '<', want: string | Date): boolean {
  if (v === null) return false;
  if (want instanceof Date) {
    const t = Date.parse(v);
    return op === '>=' ? t >= want.getTime() : t < want.getTime();
  }
  return v === want;
}

// The lake's files are read and rewritten by an in-memory DuckDB: its dialect quotes.
const q = duckdbDialect.quoteIdent;
const lit = duckdbDialect.literal;
