import type { Row, Store } from '../store/store.js';
import { keyOf } from './key-of.js';
import { mergeLatest } from './latest-merge.js';
import type { ProjectionPlan } from './plan.js';
import type { VersionRow } from './registry.js';

// Latest projections of at most this many partial rows (batch and speed) are held whole in memory: at some
// 250 bytes a key, 2M keys hold about 500 MB. Larger ones keep only their recently read keys.
export const REPLICA_MAX_ROWS = 2_000_000;
// Rows merged and encoded between two turns of the event loop while a replica loads.
const LOAD_SLICE = 20_000;

/**
 * Every key of one version of a latest projection, merged, in memory: a keyed read answers from it without a
 * statement, and a key it does not hold is absent. Keys a fold touched are stale until read again from the
 * store (the reader's store read puts them back), so the replica never answers older than the speed seq.
 *
 * A row is kept as its JSON text, with the columns that hold times named once: one string a key instead of an
 * object and a string per value, so a million keys cost about a quarter of the memory, and the garbage
 * collector has one leaf to skip instead of a graph to trace. A row JSON cannot give back as it was (a nested
 * value, a number JSON has not) is kept as it is.
 */
export class LatestReplica {
  private readonly texts = new Map<string, string>();
  private readonly objects = new Map<string, Row[]>();
  private readonly stale = new Set<string>();
  private readonly times = new Set<string>();

  constructor(readonly version: string) {}

  /** The key's rows ([] when absent), or undefined when a fold touched it since it was last read. */
  get(key: string): Row[] | undefined {
    if (this.stale.has(key)) return undefined;
    const text = this.texts.get(key);
    if (text === undefined) return this.objects.get(key) ?? [];
    const row = JSON.parse(text) as Row;
    for (const c of this.times) if (typeof row[c] === 'string') row[c] = new Date(row[c] as string);
    return [row];
  }

  set(key: string, rows: Row[]): void {
    this.stale.delete(key);
    this.texts.delete(key);
    this.objects.delete(key);
    if (rows.length === 0) return;
    if (rows.length === 1 && this.flat(rows[0]!)) this.texts.set(key, JSON.stringify(rows[0]));
    else this.objects.set(key, rows);
  }

  touch(key: string): void {
    this.stale.add(key);
    this.texts.delete(key);
    this.objects.delete(key);
  }

  get size(): number {
    return this.texts.size + this.objects.size;
  }

  // Whether JSON gives the row back as it is, once the columns that hold times are revived.
  private flat(row: Row): boolean {
    for (const c in row) {
      const v = row[c];
      if (v instanceof Date) {
        if (!this.times.has(c)) this.times.add(c);
      } else if (typeof v === 'string') {
        if (this.times.has(c)) return false; // text in a column that also holds times: would be revived
      } else if (v !== null && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v)))
        return false;
      else if (Object.is(v, -0)) return false;
    }
    return true;
  }
}

/**
 * Reads every partial row of a version (its speed table, then its batch table, which has one row per key) and
 * merges them per key by the rule the keyed read uses, or answers undefined when the version has more than
 * REPLICA_MAX_ROWS of them.
 */
export async function loadReplica(
  store: Store,
  plan: ProjectionPlan,
  v: VersionRow,
): Promise<LatestReplica | undefined> {
  const [batch, speed] = v.tables;
  if (!batch || !speed) return undefined;
  const [count] = await store.query(
    `SELECT (SELECT count(*) FROM ${batch}) + (SELECT count(*) FROM ${speed}) AS n`,
  );
  if (Number(count?.n ?? Number.POSITIVE_INFINITY) > REPLICA_MAX_ROWS) return undefined;
  const keyOfRow = (row: Row) => keyOf(plan.keyColumns.map((c) => row[c]));
  const merge = (partials: Row[]) => mergeLatest(plan.keyColumns, plan.picks, partials);
  const speedRows = new Map<string, Row[]>();
  for await (const page of store.stream(`SELECT * FROM ${speed}`))
    for (const row of page) {
      const key = keyOfRow(row);
      const list = speedRows.get(key);
      if (list) list.push(row);
      else speedRows.set(key, [row]);
    }
  const replica = new LatestReplica(v.version);
  let done = 0;
  for await (const page of store.stream(`SELECT * FROM ${batch}`))
    for (const row of page) {
      const key = keyOfRow(row);
      const more = speedRows.get(key);
      if (more) speedRows.delete(key);
      replica.set(key, merge(more ? [row, ...more] : [row]));
      if (++done % LOAD_SLICE === 0) await new Promise((r) => setImmediate(r));
    }
  for (const [key, list] of speedRows) {
    replica.set(key, merge(list));
    if (++done % LOAD_SLICE === 0) await new Promise((r) => setImmediate(r));
  }
  return replica;
}
