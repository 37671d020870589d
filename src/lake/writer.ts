import fs from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, timestampTZValue } from '@duckdb/node-api';
import { duckdbDialect } from '../store/duckdb/duckdb-dialect.js';
import { VECTOR_KINDS, type VectorKind, VectorWriter } from '../store/duckdb/vector-writer.js';
import { Params } from '../store/sql-params.js';
import type { LakeConfig, LakeTable, LakeType } from './config.js';
import type { SourceRow } from './datasources/datasource.js';
import { escapePartitionValue } from './hive-path.js';
import type { LakeTarget } from './target.js';

// The column each lake type is staged in (its SQL type is its name in capitals).
const STAGE_KIND: Record<LakeType, VectorKind> = {
  text: 'varchar',
  bigint: 'bigint',
  integer: 'integer',
  double: 'double',
  decimal: 'varchar',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  date: 'varchar',
};
// Decimals and dates arrive as text from drivers; they get their type when written, exactly.
// TRY_CAST: a value that is not a number or a date is written as NULL instead of failing every later run.
const OUT_CAST: Partial<Record<LakeType, string>> = { decimal: 'DECIMAL(38, 10)', date: 'DATE' };

/** One partition written: its key and location, rows and bytes, and its values (for ALTER TABLE ADD PARTITION). */
export interface WrittenPartition {
  /** The file's key below the target ('prefix/table/p=v/table.parquet'). */
  readonly key: string;
  /** The URI of the partition's directory. */
  readonly location: string;
  readonly values: Record<string, unknown>;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Stages a table's rows in an in-memory DuckDB (columnar, spilling to disk when large) and writes each
 * partition whole as one file, under a temporary name moved into place: a crash never leaves half a
 * partition, and rewriting a partition twice gives the same file contents.
 */
export class PartitionWriter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly c: DuckDBConnection,
  ) {}

  static async open(): Promise<PartitionWriter> {
    const instance = await DuckDBInstance.create(':memory:');
    return new PartitionWriter(instance, await instance.connect());
  }

  async close(): Promise<void> {
    this.c.closeSync();
    this.instance.closeSync();
  }

  /** Loads rows into the stage table of a lake table, applying fixed values. */
  async stage(table: LakeTable, batches: AsyncIterable<SourceRow[]>[]): Promise<number> {
    const fields = Object.entries(table.fields);
    await this.c.run('DROP TABLE IF EXISTS stage');
    await this.c.run(
      `CREATE TABLE stage (${fields.map(([f, t]) => `${q(f)} ${STAGE_KIND[t].toUpperCase()}`).join(', ')})`,
    );
    const types = fields.map(([, t]) => VECTOR_KINDS[STAGE_KIND[t]].type);
    const columns = fields.map(([f, t]) => ({ f, type: t, fixed: f in table.fixed, value: table.fixed[f] }));
    let n = 0;
    const appender = await this.c.createAppender('stage');
    for (const source of batches) {
      for await (const rows of source) {
        // A chunk per vector of rows, a column at a time, each column's bytes copied into DuckDB at once.
        for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
          const size = Math.min(CHUNK_ROWS, rows.length - start);
          const chunk = DuckDBDataChunk.create(types, size);
          for (const [c, col] of columns.entries()) {
            const w = new VectorWriter(chunk, c, STAGE_KIND[col.type], size);
            const write = toStage[col.type];
            if (col.fixed) for (let k = 0; k < size; k++) write(w, k, col.value);
            else for (let k = 0; k < size; k++) write(w, k, rows[start + k]![col.f]);
            w.flush();
          }
          appender.appendDataChunk(chunk);
        }
        n += rows.length;
      }
    }
    appender.closeSync();
    return n;
  }

  /**
   * Writes every partition present in the stage table; returns what was written. The stage is sorted once
   * into a table, by partition rank first, on every thread; one partitioned COPY of it, on one thread (with
   * more, its threads write each partition's rows in the order they finish, not in the table's), writes
   * every partition into a temporary directory named after its rank, and each file is then placed whole.
   * Measured on 2M rows in 50 partitions: 0.9 s, against 1.7 s for a partitioned COPY that sorted on its one
   * thread (a rank by window function) and 2.6 s for a COPY per partition; the files are byte for byte the
   * same.
   */
  async writeStaged(
    name: string,
    table: LakeTable,
    lake: LakeConfig,
    target: LakeTarget,
    onPartition?: (p: WrittenPartition, done: number, total: number) => void,
  ): Promise<WrittenPartition[]> {
    const parts = table.partitions;
    const columns = Object.entries(table.fields).filter(([f]) => !parts.includes(f));
    const select = columns
      .map(([f, t]) => (OUT_CAST[t] ? `TRY_CAST(${q(f)} AS ${OUT_CAST[t]}) AS ${q(f)}` : q(f)))
      .join(', ');
    const format = lake.format === 'parquet' ? 'FORMAT parquet' : 'FORMAT csv, HEADER true';
    const written: WrittenPartition[] = [];
    const place = async (tmp: string, values: Record<string, unknown>, rows: number, total: number) => {
      const key = partitionKey(name, lake, values);
      const bytes = await target.place(tmp, key);
      const p = { key, location: target.uri(path.posix.dirname(key)), values, rows, bytes };
      written.push(p);
      onPartition?.(p, written.length, total);
    };
    if (!parts.length) {
      const tmp = target.tempPath(partitionKey(name, lake, {}));
      await place(tmp, {}, await this.copy(`SELECT ${select} FROM stage`, [], tmp, format), 1);
      return written;
    }
    const byPart = parts.map(q).join(', ');
    // Each partition's rank is its place in the order of its values; the directory the COPY names after a
    // rank holds that partition. A join with this small table ranks the rows (a window function over every
    // row cost as much as the sort).
    await this.c.run(
      `CREATE OR REPLACE TABLE ranks AS SELECT ${byPart}, row_number() OVER (ORDER BY ${byPart}) - 1 AS ${q(RANK)}, count(*)::BIGINT AS ${q(ROWS)} FROM stage GROUP BY ${byPart}`,
    );
    const tuples = (await this.c.runAndReadAll(`SELECT * FROM ranks ORDER BY ${q(RANK)}`)).getRowObjectsJS();
    const joined = parts.map((p) => `s.${q(p)} IS NOT DISTINCT FROM r.${q(p)}`).join(' AND ');
    await this.c.run(
      `CREATE OR REPLACE TABLE sorted AS SELECT r.${q(RANK)}, ${select} FROM stage s JOIN ranks r ON ${joined} ORDER BY ALL`,
    );
    const dir = target.tempPath(path.posix.join(lake.prefix, `${name}.partitions`));
    fs.rmSync(dir, { recursive: true, force: true });
    // DuckDB closes files past this many partitions, and a partition may then be split over several.
    await this.c.run(
      `SET partitioned_write_max_open_files = ${Math.min(MAX_OPEN_FILES, Math.max(100, tuples.length))}`,
    );
    const threads = (
      await this.c.runAndReadAll("SELECT current_setting('threads') AS t")
    ).getRowObjectsJS()[0]!.t;
    await this.c.run('SET threads = 1');
    try {
      try {
        await this.c.run(
          `COPY sorted TO ${duckdbDialect.literal(dir)} (${format}, PARTITION_BY (${q(RANK)}), FILENAME_PATTERN 'part')`,
        );
      } finally {
        await this.c.run(`SET threads = ${Number(threads)}`);
      }
      for (const tuple of tuples) {
        const rank = Number(tuple[RANK]);
        const values = Object.fromEntries(parts.map((p) => [p, tuple[p] ?? null]));
        const files = fs.readdirSync(path.join(dir, `${RANK}=${rank}`));
        const tmp = target.tempPath(partitionKey(name, lake, values));
        if (files.length === 1) fs.renameSync(path.join(dir, `${RANK}=${rank}`, files[0]!), tmp);
        else {
          // Split over several files (more partitions than MAX_OPEN_FILES, and many rows): that one is
          // written again alone.
          const bound = new Params();
          const where = parts.map((p) => `${q(p)} IS NOT DISTINCT FROM ${bound.add(values[p])}`);
          await this.copy(
            `SELECT ${select} FROM stage WHERE ${where.join(' AND ')}`,
            bound.values,
            tmp,
            format,
          );
        }
        await place(tmp, values, Number(tuple[ROWS]), tuples.length);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await this.c.run('DROP TABLE IF EXISTS sorted');
    }
    return written;
  }

  /** Writes a query's rows, sorted so that the same rows give the same file, to a path; returns the count. */
  private async copy(sql: string, params: unknown[], to: string, options: string): Promise<number> {
    const out = await this.c.runAndReadAll(
      `COPY (${sql} ORDER BY ALL) TO ${duckdbDialect.literal(to)} (${options})`,
      params.map(toDuck) as never,
    );
    return Number(out.getRowObjectsJS()[0]?.Count ?? 0);
  }
}

// The partitioned COPY's own column (never written): a partition's rank; and its row count.
const RANK = '__panoramix_partition';
const ROWS = '__panoramix_rows';
// Files the partitioned COPY keeps open at once, at most (each is a file descriptor).
const MAX_OPEN_FILES = 1000;

/** The key of a partition's file: [prefix/]table/[base partitions/][field partitions/]table.ext, Hive-escaped. */
export function partitionKey(name: string, lake: LakeConfig, values: Record<string, unknown>): string {
  return path.posix.join(
    lake.prefix,
    name,
    ...Object.entries(lake.partitions).map(([k, v]) => `${k}=${escapePartitionValue(v)}`),
    ...Object.entries(values).map(([k, v]) => `${k}=${escapePartitionValue(v)}`),
    `${name}.${lake.format}`,
  );
}

function toDuck(v: unknown): unknown {
  if (v instanceof Date) return timestampTZValue(BigInt(v.getTime()) * 1000n);
  if (typeof v === 'bigint') return v;
  return v ?? null;
}

// DuckDB's standard vector size: the most rows a data chunk holds.
const CHUNK_ROWS = 2048;

const toText = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);

type StageWrite = (w: VectorWriter, row: number, v: unknown) => void;

/** Writes a driver's value as the stage column of its lake type holds it; null and undefined are NULL. */
const toStage: Record<LakeType, StageWrite> = {
  text: (w, row, v) =>
    v == null ? w.setNull(row) : w.setVarchar(row, typeof v === 'string' ? v : toText(v)),
  bigint: (w, row, v) => {
    if (v == null) return w.setNull(row);
    if (typeof v === 'number' && Number.isSafeInteger(Math.trunc(v))) return w.setInt64(row, Math.trunc(v));
    w.setBigInt64(row, typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? Math.trunc(v) : String(v)));
  },
  integer: (w, row, v) => (v == null ? w.setNull(row) : w.setInt32(row, Number(v))),
  double: (w, row, v) => (v == null ? w.setNull(row) : w.setDouble(row, Number(v))),
  decimal: (w, row, v) => (v == null ? w.setNull(row) : w.setVarchar(row, String(v))),
  boolean: (w, row, v) =>
    v == null ? w.setNull(row) : w.setBoolean(row, v === true || v === 1 || v === '1' || v === 'true'),
  timestamp: (w, row, v) => {
    const ms = v == null ? Number.NaN : (v instanceof Date ? v : new Date(String(v))).getTime();
    // Not a time (MySQL's zero date among them): NULL, as a decimal or date that is not one.
    if (Number.isNaN(ms)) return w.setNull(row);
    // Microseconds are exact as a double until year 2255.
    if (Math.abs(ms) < 9e12) w.setInt64(row, ms * 1000);
    else w.setBigInt64(row, BigInt(ms) * 1000n);
  },
  date: (w, row, v) =>
    v == null
      ? w.setNull(row)
      : w.setVarchar(row, v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10)),
};

// The staging table is the writer's own in-memory DuckDB: its dialect quotes.
const q = duckdbDialect.quoteIdent;
