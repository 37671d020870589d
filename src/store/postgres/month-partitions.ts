import type pg from 'pg';
import type { NewEvent } from '../../core/event.js';
import { connectGuarded } from './guarded-client.js';
import { postgresDialect } from './postgres-dialect.js';

// Distinct months one append transaction may touch. Each month partition an INSERT reaches takes locks (the
// partition and its indexes) until COMMIT, in a lock table sized max_locks_per_transaction (64) times the
// connections: an append spanning a few thousand months failed with "out of shared memory" (measured).
export const MONTHS_PER_TRANSACTION = 100;

/** The month partition an event time (epoch ms) falls in: 'YYYY_MM', UTC, years 0001–9999. */
export function monthOf(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** A run of a batch's events, in order, and the distinct months they fall in. */
export interface MonthRun {
  readonly events: NewEvent[];
  readonly months: Set<string>;
}

/**
 * Splits a batch, in order, into runs that each touch at most `max` distinct months. Nearly every batch is
 * one run; a batch whose times are spread over centuries becomes several appends instead of one that fails.
 */
export function splitByMonths(events: readonly NewEvent[], max = MONTHS_PER_TRANSACTION): MonthRun[] {
  const runs: MonthRun[] = [];
  let run: MonthRun = { events: [], months: new Set() };
  for (const e of events) {
    const m = monthOf(e.time);
    if (!run.months.has(m) && run.months.size >= max) {
      runs.push(run);
      run = { events: [], months: new Set() };
    }
    run.months.add(m);
    run.events.push(e);
  }
  if (run.events.length) runs.push(run);
  return runs;
}

/** A month partition's bounds as SQL literals: its first instant and the next month's (MAXVALUE after 9999). */
function bounds(month: string): { from: string; to: string } {
  const [y, m] = month.split('_').map(Number) as [number, number];
  // Date.UTC reads years 0–99 as 1900–1999: set the full year explicitly.
  const at = (year: number, monthIndex: number) => {
    const d = new Date(Date.UTC(2000, monthIndex, 1));
    d.setUTCFullYear(year + Math.floor(monthIndex / 12), monthIndex % 12, 1);
    return `'${d.toISOString()}'`;
  };
  return { from: at(y, m - 1), to: y === 9999 && m === 12 ? 'MAXVALUE' : at(y, m) };
}

/** The first instant after a month partition (epoch ms): every event in it is earlier. */
export function monthEnd(month: string): number {
  const [y, m] = month.split('_').map(Number) as [number, number];
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(y + Math.floor(m / 12), m % 12, 1);
  return d.getTime();
}

/**
 * The events table's month partitions. Missing ones are created in their own committed transaction before
 * the append that needs them, and remembered only after that commit: created inside the append, a rolled-back
 * append left a remembered partition that did not exist, and every later event of that month failed.
 */
export class MonthPartitions {
  private readonly known = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly lockId: number,
  ) {}

  /** Partitions dropped (by retention): created again when an event of their month arrives. */
  forget(months: readonly string[]): void {
    for (const m of months) this.known.delete(m);
  }

  async ensure(months: ReadonlySet<string>): Promise<void> {
    const missing = [...months].filter((m) => !this.known.has(m));
    for (let i = 0; i < missing.length; i += MONTHS_PER_TRANSACTION) {
      const part = missing.slice(i, i + MONTHS_PER_TRANSACTION);
      const client = await connectGuarded(this.pool);
      try {
        await client.query('BEGIN');
        // Under the append lock: two processes creating one partition at once would collide in the catalog.
        await client.query('SELECT pg_advisory_xact_lock($1)', [this.lockId]);
        for (const m of part) {
          const { from, to } = bounds(m);
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${postgresDialect.quoteIdent(`events_${m}`)} PARTITION OF events FOR VALUES FROM (${from}) TO (${to})`,
          );
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      for (const m of part) this.known.add(m);
    }
  }
}
