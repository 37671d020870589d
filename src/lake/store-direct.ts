import path from 'node:path';
import type { Store } from '../store/store.js';
import type { LakeConfig, LakeTable, LakeType } from './config.js';
import type { RowFilter } from './datasources/datasource.js';
import { whereOf } from './datasources/datasource.js';
import type { LakeTarget } from './target.js';
import { partitionKey, type WrittenPartition } from './writer.js';

type CopyingStore = Store & {
  copyToParquet(sql: string, params: readonly unknown[], file: string): Promise<number>;
};

/** Whether a table can be written by the store's own Parquet writer (its only source is the DuckDB store). */
export function canWriteDirect(store: Store, lake: LakeConfig, table: LakeTable): store is CopyingStore {
  return (
    lake.format === 'parquet' &&
    typeof (store as Partial<CopyingStore>).copyToParquet === 'function' &&
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
  const where = whereOf(filter, q, (n) => `$${n}`);
  const parts = table.partitions;
  const tuples = parts.length
    ? await store.query(`SELECT DISTINCT ${parts.map(q).join(', ')} FROM ${src}${where.sql}`, where.params)
    : [{}];
  const columns = Object.entries(table.fields)
    .filter(([f]) => !parts.includes(f))
    .map(([f, t]) => {
      const value =
        f in table.fixed
          ? table.fixed[f] === null
            ? 'NULL'
            : `'${String(table.fixed[f]).replaceAll("'", "''")}'`
          : q(f);
      return CASTS[t] ? `CAST(${value} AS ${CASTS[t]}) AS ${q(f)}` : `${value} AS ${q(f)}`;
    });
  const written: WrittenPartition[] = [];
  let total = 0;
  for (const tuple of tuples) {
    const values = Object.fromEntries(parts.map((p) => [p, tuple[p] ?? null]));
    const params = [...where.params];
    const conds = parts.map((p) => {
      params.push(values[p]);
      return `${q(p)} IS NOT DISTINCT FROM $${params.length}`;
    });
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
