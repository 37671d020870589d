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
  /** Columns that hold times: kept in the text as epoch milliseconds, given back as Dates. */
  private readonly times = new Set<string>();

  constructor(readonly version: string) {}

  /** The key's rows ([] when absent), or undefined when a fold touched it since it was last read. */
  get(key: string): Row[] | undefined {
    if (this.stale.has(key)) return undefined;
    const text = this.texts.get(key);
    if (text === undefined) return this.objects.get(key) ?? [];
    const row = JSON.parse(text) as Row;
    for (const c of this.times) if (typeof row[c] === 'number') row[c] = new Date(row[c] as number);
    return [row];
  }

  /** The key's rows as a store read answered them (the caller keeps them: they are copied, not changed). */
  set(key: string, rows: Row[]): void {
    this.stale.delete(key);
    this.texts.delete(key);
    this.objects.delete(key);
    if (rows.length === 0) return;
    const text = rows.length === 1 ? this.text({ ...rows[0]! }) : undefined;
    if (text === undefined) this.objects.set(key, rows);
    else this.texts.set(key, text);
  }

  /** A key's row while the replica loads: a row of its own (changed in place), a key seen once. */
  load(key: string, row: Row): void {
    const text = this.text(row);
    if (text === undefined) this.objects.set(key, [row]);
    else this.texts.set(key, text);
  }

  touch(key: string): void {
    this.stale.add(key);
    this.texts.delete(key);
    this.objects.delete(key);
  }

  get size(): number {
    return this.texts.size + this.objects.size;
  }

  // The row's JSON with its times as epoch milliseconds (it is changed so), or undefined where JSON would not
  // give it back as it is: a nested value, a number JSON has not, a number in a column that holds times.
  private text(row: Row): string | undefined {
    for (const c in row) {
      const v = row[c];
      if (v instanceof Date) {
        this.times.add(c);
        row[c] = v.getTime();
      } else if (typeof v === 'number') {
        if (!Number.isFinite(v) || Object.is(v, -0) || this.times.has(c)) return undefined;
      } else if (v !== null && typeof v !== 'string' && typeof v !== 'boolean') return undefined;
    }
    return JSON.stringify(row);
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
  const q = (c: string) => store.dialect.quoteIdent(c);
  const keyOfRow = (row: Row) => keyOf(plan.keyColumns.map((c) => row[c]));
  const merge = (partials: Row[]) => mergeLatest(plan.keyColumns, plan.picks, partials);
  const inSpeed = `EXISTS (SELECT 1 FROM ${speed} s WHERE ${plan.keyColumns.map((c) => `s.${q(c)} = b.${q(c)}`).join(' AND ')})`;
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
  // Keys the speed layer has not touched: the batch row is the merged row, so the engine answers it merged
  // (each column NULL where no event set it, as the merge says), without the (time, seq) columns of each pick:
  // for most keys a third of the values to convert.
  const merged = [
    ...plan.keyColumns.map(q),
    ...plan.picks.map(
      (p) => `CASE WHEN ${q(`_t_${p.name}`)} IS NULL THEN NULL ELSE ${q(p.name)} END AS ${q(p.name)}`,
    ),
  ];
  for await (const page of store.stream(`SELECT ${merged.join(', ')} FROM ${batch} b WHERE NOT ${inSpeed}`))
    for (const row of page) {
      replica.load(keyOfRow(row), row);
      if (++done % LOAD_SLICE === 0) await new Promise((r) => setImmediate(r));
    }
  for await (const page of store.stream(`SELECT * FROM ${batch} b WHERE ${inSpeed}`))
    for (const row of page) {
      const key = keyOfRow(row);
      replica.load(key, merge([row, ...(speedRows.get(key) ?? [])])[0]!);
      speedRows.delete(key);
      if (++done % LOAD_SLICE === 0) await new Promise((r) => setImmediate(r));
    }
  // Keys only the speed layer has.
  for (const [key, list] of speedRows) {
    replica.load(key, merge(list)[0]!);
    if (++done % LOAD_SLICE === 0) await new Promise((r) => setImmediate(r));
  }
  return replica;
}
