import { projectionEngine } from '../project/service.js';
import type { Runtime } from '../runtime.js';
import type { Migration } from '../store/store.js';
import { expiredFilter } from './config.js';

export const RETENTION_MIGRATIONS: readonly Migration[] = [
  {
    component: 'retention',
    version: 1,
    name: 'create retention runs',
    up: `CREATE TABLE IF NOT EXISTS panoramix_retention_runs (
           run_at TIMESTAMPTZ NOT NULL, events BIGINT NOT NULL, partitions_dropped TEXT NOT NULL,
           bytes_before BIGINT, bytes_after BIGINT, projections_rebuilt INTEGER NOT NULL)`,
  },
];

/** What one retention run removed. */
export interface RetentionRun {
  readonly runAt: Date;
  readonly events: number;
  /** PostgreSQL month partitions dropped whole, as YYYY_MM. */
  readonly partitionsDropped: readonly string[];
  /** The DuckDB file before and after its rewrite, when it was rewritten. */
  readonly compacted: { readonly beforeBytes: number; readonly afterBytes: number } | null;
  readonly projectionsRebuilt: number;
}

/**
 * Removes the events that have expired at `now`, then rebuilds every projection so that it counts only what
 * remains (a projection with `keepHistory: true` keeps the rolled-up rows of what expired: history.ts), then
 * gives the freed space back when enough of the file is free. Recorded in panoramix_retention_runs.
 */
export async function runRetention(runtime: Runtime, now = Date.now()): Promise<RetentionRun> {
  const config = runtime.config.retention;
  const store = runtime.store;
  await store.migrate(RETENTION_MIGRATIONS);
  const filter = config ? expiredFilter(config, now) : { anyOf: [] };
  const engine = await projectionEngine(runtime);
  // Under every projection's lock: a build reading its kept history meanwhile would count a run twice or never.
  const result = filter.anyOf.length
    ? await engine.exclusive(() =>
        store.deleteEvents(filter, { beforeDelete: (tx, where) => engine.keepHistory(tx, where) }),
      )
    : { events: 0, partitionsDropped: [] };
  let rebuilt = 0;
  if (result.events > 0) {
    for (const name of engine.plans.keys()) {
      await engine.rebuild(name);
      rebuilt++;
    }
  }
  // The share of the events this run removed says how much of the file is dead (DuckDB's own free-block count
  // does not: one partly deleted row group frees nothing).
  const [left] = result.events > 0 ? await store.query('SELECT count(*) AS n FROM events') : [];
  const share = result.events / (result.events + Number(left?.n ?? 0));
  const compacted =
    result.events > 0 && store.compact && share >= (config?.compactAt ?? 1)
      ? // The removal stands without it: a store too busy to rewrite now may be rewritten by a later run.
        await store.compact().catch((err: Error) => {
          runtime.logger.warn({ err }, 'retention: the store could not be rewritten now');
          return null;
        })
      : null;
  const run: RetentionRun = {
    runAt: new Date(now),
    events: result.events,
    partitionsDropped: result.partitionsDropped,
    compacted,
    projectionsRebuilt: rebuilt,
  };
  await store.exec(
    `INSERT INTO panoramix_retention_runs (run_at, events, partitions_dropped, bytes_before, bytes_after, projections_rebuilt)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      run.runAt,
      run.events,
      JSON.stringify(run.partitionsDropped),
      compacted?.beforeBytes ?? null,
      compacted?.afterBytes ?? null,
      rebuilt,
    ],
  );
  return run;
}
