import type { Row, Store } from '../store/store.js';
import { keyOf } from './key-of.js';
import { mergeLatest } from './latest-merge.js';
import type { ProjectionPlan } from './plan.js';
import type { VersionRow } from './registry.js';

// Latest projections of at most this many partial rows (batch and speed) are held whole in memory: at some
// 300 bytes a merged row, 2M keys hold about 600 MB. Larger ones keep only their recently read keys.
export const REPLICA_MAX_ROWS = 2_000_000;
// Keys merged between two turns of the event loop while a replica loads.
const MERGE_SLICE = 20_000;

/**
 * Every key of one version of a latest projection, merged, in memory: a keyed read answers from it without a
 * statement, and a key it does not hold is absent. Keys a fold touched are stale until read again from the
 * store (the reader's store read puts them back), so the replica never answers older than the speed seq.
 */
export class LatestReplica {
  private readonly stale = new Set<string>();

  constructor(
    readonly version: string,
    private readonly rows: Map<string, Row[]>,
  ) {}

  /** The key's rows ([] when absent), or undefined when a fold touched it since it was last read. */
  get(key: string): Row[] | undefined {
    if (this.stale.has(key)) return undefined;
    return this.rows.get(key) ?? [];
  }

  set(key: string, rows: Row[]): void {
    this.stale.delete(key);
    if (rows.length > 0) this.rows.set(key, rows);
    else this.rows.delete(key);
  }

  touch(key: string): void {
    this.stale.add(key);
    this.rows.delete(key);
  }

  get size(): number {
    return this.rows.size;
  }
}

/**
 * Reads every partial row of a version (its batch and speed tables) and merges them per key by the rule the
 * keyed read uses, or answers undefined when the version has more than REPLICA_MAX_ROWS of them.
 */
export async function loadReplicaRows(
  store: Store,
  plan: ProjectionPlan,
  v: VersionRow,
): Promise<Map<string, Row[]> | undefined> {
  const [batch, speed] = v.tables;
  if (!batch || !speed) return undefined;
  const [count] = await store.query(
    `SELECT (SELECT count(*) FROM ${batch}) + (SELECT count(*) FROM ${speed}) AS n`,
  );
  if (Number(count?.n ?? Number.POSITIVE_INFINITY) > REPLICA_MAX_ROWS) return undefined;
  const partials = new Map<string, Row[]>();
  for (const table of [batch, speed])
    for await (const page of store.stream(`SELECT * FROM ${table}`))
      for (const row of page) {
        const key = keyOf(plan.keyColumns.map((c) => row[c]));
        const list = partials.get(key);
        if (list) list.push(row);
        else partials.set(key, [row]);
      }
  // Merged in place (setting a key a Map already holds does not disturb its iteration), a slice at a time so
  // the reads going on meanwhile are not held up for the whole of it.
  let done = 0;
  for (const [key, list] of partials) {
    partials.set(key, mergeLatest(plan.keyColumns, plan.picks, list));
    if (++done % MERGE_SLICE === 0) await new Promise((r) => setImmediate(r));
  }
  return partials;
}
