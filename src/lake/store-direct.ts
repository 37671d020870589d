import fs from 'node:fs';
import path from 'node:path';
import { Params } from '../store/sql-params.js';
import type { Store } from '../store/store.js';
import type { LakeConfig, LakeTable, LakeType } from './config.js';
import type { RowFilter } from './datasources/datasource.js';
import { whereOf } from './datasources/datasource.js';
import { unescapePartitionValue } from './hive-path.js';
import type { LakeTarget } from './target.js';
import { partitionKey, type WrittenPartition } from './writer.js';

/** A store that declares the Parquet writer (the DuckDB store). */
type CopyingStore = Store & Required<Pick<Store, 'copyToParquet'>>;

// Partition values DuckDB writes in the same text as ours (dates and timestamps it formats its own way).
const SAME_TEXT: ReadonlySet<LakeType> = new Set(['text', 'bigint', 'integer', 'boolean']);

/** Whether a table can be written by the store's own Parquet writer (its only source is the DuckDB store). */
export function canWriteDirect(store: Store, lake: LakeConfig, table: LakeTable): store is CopyingStore {
  return (
    lake.format === 'parquet' &&
    store.copyToParquet !== undefined &&
    table.datasources.every((d) => lake.datasources[d]?.type === 'store') &&
    !table.source?.startsWith('projection:')
  );
}

const CASTS: Partial<Record<LakeType, string>> = {
  text: 'VARCHAR',
  decimal: 'DECIMAL(38, 10)',
  date: 'DATE',
};

/**
 * Exports from the embedded store without passing rows through JavaScript: one COPY … TO per partition,
 * each to a temporary name moved into place (10x the throughput of streaming rows out and back in).
 */
export async function writeDirect(
  store: CopyingStore,
  name: string,
  table: LakeTable,
  lake: LakeConfig,
  target: LakeTarget,
  filter: RowFilter,
  onPartition?: (p: WrittenPartition, done: number, total: number) => void,
): Promise<{ rows: number; partitions: WrittenPartition[] }> {
  const q = (id: string) => store.dialect.quoteIdent(id);
  const src = q(table.source ?? name);
  const where = whereOf(filter, q);
  const parts = table.partitions;
  const columns = Object.entries(table.fields)
    .filter(([f]) => !parts.includes(f))
    .map(([f, t]) => {
      const value =
        f in table.fixed
          ? table.fixed[f] === null
            ? 'NULL'
            : store.dialect.literal(String(table.fixed[f]))
          : q(f);
      return CASTS[t] ? `TRY_CAST(${value} AS ${CASTS[t]}) AS ${q(f)}` : `${value} AS ${q(f)}`;
    });
  if (
    parts.length > 0 &&
    store.copyToParquetPartitioned &&
    parts.every((p) => SAME_TEXT.has(table.fields[p] ?? 'text'))
  ) {
    const out = await writeOneScan(store, name, table, lake, target, columns, where, onPartition);
    if (out) return out;
  }
  const tuples = parts.length
    ? await store.query(`SELECT DISTINCT ${parts.map(q).join(', ')} FROM ${src}${where.sql}`, where.params)
    : [{}];
  const written: WrittenPartition[] = [];
  let total = 0;
  for (const tuple of tuples) {
    const values = Object.fromEntries(parts.map((p) => [p, tuple[p] ?? null]));
    const bound = new Params(where.params.length + 1);
    const conds = parts.map((p) => `${q(p)} IS NOT DISTINCT FROM ${bound.add(values[p])}`);
    const params = [...where.params, ...bound.values];
    const allConds = [where.sql.replace(/^ WHERE /, ''), ...conds].filter(Boolean);
    const key = partitionKey(name, lake, values);
    const tmp = target.tempPath(key);
    const n = await store.copyToParquet(
      `SELECT ${columns.join(', ')} FROM ${src}${allConds.length ? ` WHERE ${allConds.join(' AND ')}` : ''}`,
      params,
      tmp,
    );
    const bytes = await target.place(tmp, key);
    total += n;
    const p = { key, location: target.uri(path.posix.dirname(key)), values, rows: n, bytes };
    written.push(p);
    onPartition?.(p, written.length, tuples.length);
  }
  return { rows: total, partitions: written };
}

/**
 * All partitions in one scan: DuckDB's partitioned COPY into a temporary directory, then each partition's file
 * moved to its place in our layout (measured on 10M events: one scan instead of one per partition). Null when
 * DuckDB wrote more than one file for a partition (then the caller writes partition by partition).
 */
async function writeOneScan(
  store: CopyingStore,
  name: string,
  table: LakeTable,
  lake: LakeConfig,
  target: LakeTarget,
  columns: string[],
  where: { sql: string; params: unknown[] },
  onPartition?: (p: WrittenPartition, done: number, total: number) => void,
): Promise<{ rows: number; partitions: WrittenPartition[] } | null> {
  const q = (id: string) => store.dialect.quoteIdent(id);
  const parts = table.partitions;
  const dir = target.tempPath(`${name}/_partitions`);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    await store.copyToParquetPartitioned!(
      `SELECT ${[...columns, ...parts.map(q)].join(', ')} FROM ${q(table.source ?? name)}${where.sql}`,
      where.params,
      dir,
      parts,
    );
    const files = listFiles(dir);
    const byDir = new Map<string, string[]>();
    for (const f of files) byDir.set(path.dirname(f), [...(byDir.get(path.dirname(f)) ?? []), f]);
    if ([...byDir.values()].some((list) => list.length > 1)) return null;
    const written: WrittenPartition[] = [];
    let total = 0;
    for (const file of files) {
      const segments = path.relative(dir, path.dirname(file)).split(path.sep);
      const values: Record<string, string | null> = {};
      for (const seg of segments) {
        const at = seg.indexOf('=');
        values[seg.slice(0, at)] = unescapePartitionValue(seg.slice(at + 1));
      }
      const [{ n }] = (await store.query('SELECT num_rows AS n FROM parquet_file_metadata($1)', [file])) as [
        { n: number },
      ];
      const key = partitionKey(name, lake, values);
      // Through the target's own temporary name (it makes the directory, and for S3 the upload's source).
      const tmp = target.tempPath(key);
      fs.renameSync(file, tmp);
      const bytes = await target.place(tmp, key);
      total += Number(n);
      const p = { key, location: target.uri(path.posix.dirname(key)), values, rows: Number(n), bytes };
      written.push(p);
      onPartition?.(p, written.length, files.length);
    }
    return { rows: total, partitions: written };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
