import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseDuration } from '../core/time.js';
import type { Runtime } from '../runtime.js';
import type { Migration } from '../store/store.js';
import type { LakeConfig } from './config.js';
import type { LakeDatasource, SourceRow } from './datasources/datasource.js';
import { openDatasource } from './open-datasource.js';
import { canWriteDirect, writeDirect } from './store-direct.js';
import { type LakeTarget, openTarget } from './target.js';
import { PartitionWriter, type WrittenPartition } from './writer.js';

export const LAKE_MIGRATIONS: readonly Migration[] = [
  {
    component: 'lake',
    version: 1,
    name: 'create lake runs',
    up: `CREATE TABLE IF NOT EXISTS panoramix_lake_runs (
           id TEXT PRIMARY KEY, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ, forced BOOLEAN NOT NULL,
           tables TEXT NOT NULL, partitions INTEGER, rows BIGINT, bytes BIGINT, status TEXT NOT NULL, error TEXT)`,
  },
  {
    component: 'lake',
    version: 2,
    name: 'partitions written per run',
    up: 'ALTER TABLE panoramix_lake_runs ADD COLUMN written TEXT',
  },
];

/** Which tables and datasources a run covers, and whether it rewrites everything. */
export interface RunSelection {
  readonly tables?: readonly string[];
  readonly datasource?: string;
  readonly force?: boolean;
  readonly now?: Date;
  readonly onPartition?: (table: string, p: WrittenPartition, done: number, total: number) => void;
  /** Wraps each datasource the run opens (the lake feature watches their connections this way). */
  readonly wrapDatasource?: (name: string, ds: LakeDatasource) => LakeDatasource;
}

/** What a run did, per table. */
export interface RunSummary {
  readonly id: string;
  readonly tables: {
    name: string;
    rows: number;
    partitions: WrittenPartition[];
    mode: 'full' | 'incremental' | 'unchanged';
  }[];
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * panorama-elt's extract-and-load: full runs rewrite every partition of a table; incremental runs find the
 * partition values having rows whose timestamp falls in the last interval (plus a tenth as overlap, for rows
 * edited around the boundary) and rewrite only those partitions, whole. A timestamp cursor cannot see deleted
 * rows: `force` rewrites everything and removes partitions that no longer exist in the sources.
 */
export async function extractAndLoad(runtime: Runtime, sel: RunSelection = {}): Promise<RunSummary> {
  const lake = runtime.config.lake;
  if (!lake) throw new Error('no lake: section in the configuration');
  await runtime.store.migrate(LAKE_MIGRATIONS);
  const id = randomUUID();
  const started = Date.now();
  const names = sel.tables?.length ? sel.tables : Object.keys(lake.tables);
  for (const n of names)
    if (!lake.tables[n])
      throw new Error(`no lake table named ${n}; tables: ${Object.keys(lake.tables).join(', ')}`);
  await runtime.store.exec(
    'INSERT INTO panoramix_lake_runs (id, started_at, forced, tables, status) VALUES ($1, $2, $3, $4, $5)',
    [id, new Date(started), Boolean(sel.force), names.join(','), 'running'],
  );
  const sources = new Map<string, LakeDatasource>();
  // Opened when a table first reads them, then shared by the run's tables.
  const openSources = async (names: readonly string[]) => {
    for (const name of names)
      if (!sources.has(name)) {
        const ds = await openDatasource(runtime, lake.datasources[name]!);
        sources.set(name, sel.wrapDatasource ? sel.wrapDatasource(name, ds) : ds);
      }
  };
  const source = (name: string) => sources.get(name)!;
  const writer = await PartitionWriter.open();
  const target = await openTarget(lake, runtime.baseDir);
  const summary: RunSummary['tables'] = [];
  try {
    for (const name of names) {
      const table = lake.tables[name]!;
      const dsNames = table.datasources.filter((d) => !sel.datasource || d === sel.datasource);
      if (dsNames.length === 0) continue;
      const fields = Object.keys(table.fields);
      const sourceTable = table.source ?? name;
      const incremental = !sel.force && table.incremental && table.partitions.length > 0;
      if (canWriteDirect(runtime.store, lake, table)) {
        const since = incremental
          ? new Date((sel.now ?? new Date()).getTime() - parseDuration(table.incremental!.interval) * 1.1)
          : undefined;
        const filter = since
          ? ({ kind: 'since', field: table.incremental!.field, since } as const)
          : ({ kind: 'all' } as const);
        // Incremental: the partitions touched recently, each rewritten whole.
        const touched = since
          ? (
              await runtime.store.query(
                `SELECT DISTINCT ${table.partitions.map((p) => runtime.store.dialect.quoteIdent(p)).join(', ')} FROM ${runtime.store.dialect.quoteIdent(sourceTable)} WHERE ${runtime.store.dialect.quoteIdent(table.incremental!.field)} >= $1`,
                [since],
              )
            ).map((r) => table.partitions.map((p) => r[p] ?? null))
          : undefined;
        const out = await writeDirect(
          runtime.store,
          name,
          table,
          lake,
          target,
          touched ? { kind: 'partitions', fields: table.partitions, values: touched } : filter,
          (p, done, total) => sel.onPartition?.(name, p, done, total),
        );
        if (sel.force) await removeStale(out.partitions, name, lake, target);
        summary.push({
          name,
          rows: out.rows,
          partitions: out.partitions,
          mode: incremental ? 'incremental' : 'full',
        });
        continue;
      }
      let streams: AsyncIterable<SourceRow[]>[];
      await openSources(dsNames);
      if (incremental) {
        const interval = parseDuration(table.incremental!.interval);
        const since = new Date(
          (sel.now ?? new Date()).getTime() - interval - Math.max(interval / 10, 300_000),
        );
        const tuples = new Map<string, unknown[]>();
        for (const d of dsNames) {
          for await (const batch of source(d).batches(sourceTable, table.partitions, {
            kind: 'since',
            field: table.incremental!.field,
            since,
          })) {
            for (const r of batch) {
              const t = table.partitions.map((p) => r[p] ?? null);
              tuples.set(JSON.stringify(t), t);
            }
          }
        }
        if (tuples.size === 0) {
          summary.push({ name, rows: 0, partitions: [], mode: 'unchanged' });
          continue;
        }
        const values = [...tuples.values()];
        streams = dsNames.map((d) =>
          source(d).batches(sourceTable, fields, {
            kind: 'partitions',
            fields: table.partitions,
            values,
          }),
        );
      } else {
        streams = dsNames.map((d) => source(d).batches(sourceTable, fields, { kind: 'all' }));
      }
      const rows = await writer.stage(table, streams);
      const written = await writer.writeStaged(name, table, lake, target, (p, done, total) =>
        sel.onPartition?.(name, p, done, total),
      );
      if (sel.force && dsNames.length === table.datasources.length)
        await removeStale(written, name, lake, target);
      summary.push({ name, rows, partitions: written, mode: incremental ? 'incremental' : 'full' });
    }
    const all = summary.flatMap((t) => t.partitions);
    const result: RunSummary = {
      id,
      tables: summary,
      rows: summary.reduce((n, t) => n + t.rows, 0),
      bytes: all.reduce((n, p) => n + p.bytes, 0),
      seconds: (Date.now() - started) / 1000,
    };
    await runtime.store.exec(
      'UPDATE panoramix_lake_runs SET finished_at = $2, partitions = $3, rows = $4, bytes = $5, status = $6, written = $7 WHERE id = $1',
      [
        id,
        new Date(),
        all.length,
        result.rows,
        result.bytes,
        'ok',
        JSON.stringify(all.slice(0, 1000).map((p) => ({ key: p.key, rows: p.rows, bytes: p.bytes }))),
      ],
    );
    return result;
  } catch (err) {
    await runtime.store.exec(
      "UPDATE panoramix_lake_runs SET finished_at = $2, status = 'failed', error = $3 WHERE id = $1",
      [id, new Date(), (err as Error).message],
    );
    throw err;
  } finally {
    await writer.close();
    for (const ds of sources.values()) await ds.close();
  }
}

// After a forced run, a partition file that was not rewritten no longer exists in any source.
async function removeStale(
  written: WrittenPartition[],
  name: string,
  lake: LakeConfig,
  target: LakeTarget,
): Promise<void> {
  const keep = new Set(written.map((p) => p.key));
  const file = `${name}.${lake.format}`;
  for (const key of await target.list(path.posix.join(lake.prefix, name) + '/')) {
    if (key.endsWith(`/${file}`) && !keep.has(key)) await target.remove(key);
  }
}
