import type { SqlClient } from '../store.js';
import { postgresDialect } from './postgres-dialect.js';

// How a table is analyzed after it grew, where not whole at the default statistics target. Events: not the
// JSON columns, which no plan here reads (a JSON field is an expression, estimated without them) and which
// were most of ANALYZE's work on wide events; and from a 9,000-row sample (statistics target 30, where 100
// read 30,000 rows, from the parent and again from each partition: 0.1 s against 0.04 s for 200k events).
// Thirty most common values and histogram buckets per column keep the plans of the reports and folds.
const ANALYZE_HOW: Record<string, { columns: string; target: number }> = {
  events: { columns: ' (seq, source, id, type, subject, time, received_at, ce_source)', target: 30 },
};

// The lock space (with the table's name) of an ANALYZE that one process runs for all.
const ANALYZE_LOCK = 0x706d7861;

type Query = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;
type Transaction = (fn: (tx: SqlClient) => Promise<void>) => Promise<void>;

/**
 * Keeps PostgreSQL's planner statistics up with bulk loads, which outrun autovacuum's: the planner then
 * picks nested loops that take seconds instead of milliseconds (measured: 2.6 s vs 11 ms for the orders
 * reports; 30 s vs 5.6 s for a matching pass over 100k transactions). Autovacuum never analyzes a
 * partitioned table (events) at all.
 */
export class TableStatistics {
  /** Per table: its size, and its size when this process last analyzed it (or found it analyzed). */
  private readonly growth = new Map<string, { rows: number; checked: number }>();
  private readonly analyzing = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly query: Query,
    private readonly transaction: Transaction,
  ) {}

  /**
   * afterGrowth for the append path, without the append waiting for it: one ANALYZE of a table at a time,
   * after the appends before it. An append that waited for ANALYZE was the larger part of its time while a
   * table grew (measured: 50 appends of 1,000 events into a new table, 83 µs per event → 35 µs without it,
   * and 170 → 69 in a second pair; ANALYZE reads a 30,000-row sample whatever the table's size).
   */
  behind(table: string, added: number, rowsNow?: number): void {
    const before = this.analyzing.get(table) ?? Promise.resolve();
    const next = before
      .then(() => (this.stopped ? undefined : this.afterGrowth(table, added, rowsNow)))
      // Statistics only guide the planner: a failed refresh is tried again at the next growth.
      .catch(() => undefined)
      .finally(() => {
        if (this.analyzing.get(table) === next) this.analyzing.delete(table);
      });
    this.analyzing.set(table, next);
  }

  /**
   * Told that rows were added to a table (rowsNow: its size as every process sees it, where known):
   * analyzes it when it has doubled (and grown by 1,000 rows). Estimates a half out do not change a plan's
   * shape; with none at all (no ANALYZE below 10,000 rows) the orders reports took over a minute instead of a
   * second. Past 30,000 rows (ANALYZE's sample) each ANALYZE of events costs the same, 0.1–0.45 s here for
   * parent and partitions. Re-analyzing at each tenth of growth below 30,000 rows ran ANALYZE of events 22
   * times per worker for 200k events: a third of PostgreSQL's CPU in npm run bench -- server (sampled by
   * process CPU and pg_stat_activity).
   */
  async afterGrowth(table: string, added: number, rowsNow?: number): Promise<void> {
    let g = this.growth.get(table);
    if (!g) {
      const rows = await this.query(
        'SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = to_regclass($1)',
        [table],
      );
      const n = Number(rows[0]?.n ?? 0);
      g = { rows: n, checked: n };
      this.growth.set(table, g);
    }
    // A size every process sees alike (events: the last seq) where there is one; else this process's rows.
    // (Counting only its own, each of two workers never saw the table double after the first ANALYZE.)
    g.rows = rowsNow ?? g.rows + added;
    if (g.rows - g.checked < Math.max(1000, g.checked)) return;
    g.checked = g.rows;
    const size = g.rows;
    // Workers sharing the load reach a doubling at about the same time. One analyzes; the others find the
    // lock taken, or the table analyzed at more than two thirds of its size (reltuples: the rows the last
    // ANALYZE counted, whoever ran it), and skip. With 4 workers, each ANALYZE of events ran four times.
    await this.transaction(async (tx) => {
      const [lock] = await tx.query(
        `SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok,
                (SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = to_regclass($2)) AS analyzed`,
        [ANALYZE_LOCK, table],
      );
      const { ok, analyzed } = lock as { ok: boolean; analyzed: number | null };
      if (!ok || (analyzed && size < 1.5 * analyzed)) return;
      const how = ANALYZE_HOW[table];
      if (how) await tx.exec(`SET LOCAL default_statistics_target = ${how.target}`);
      await tx.exec(`ANALYZE ${postgresDialect.quoteIdent(table)}${how?.columns ?? ''}`);
    });
  }

  /** No more refreshes; waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.analyzing.values());
  }
}
