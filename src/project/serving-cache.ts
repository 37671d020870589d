import type { Row } from '../store/store.js';
import type { ProjectionEngine, VersionChange } from './engine.js';
import type { ProjectionAnswer } from './projection-reader.js';
import type { VersionRow } from './registry.js';

// Keyed answers kept per projection: at about 300 bytes a row, 100,000 keys hold some 30 MB.
const HOT_KEYS_PER_PROJECTION = 100_000;
// Whole answers (pages) kept per projection, by their query; any change of the projection drops them all.
const PAGES_PER_PROJECTION = 1_000;

/**
 * What a process serving projections keeps in memory, for a store no other process writes (DuckDB): each
 * projection's active version with its speed seq, the answers of recently read keys of latest projections, and
 * recently read pages. The engine tells every fold and swap as it commits, so the state stays exact: a fold
 * drops the keys it touched and every page of that projection and moves the speed seq, a swap replaces the
 * version and drops its keys and pages. An answer read from the
 * store while a change landed is not kept (the generation moved), so nothing older than the store is served.
 */
export class ServingCache {
  private readonly versions = new Map<string, VersionRow>();
  private readonly generations = new Map<string, number>();
  private readonly hot = new Map<string, Map<string, Row[]>>();
  private readonly pages = new Map<string, Map<string, ProjectionAnswer>>();

  constructor(
    engine: ProjectionEngine,
    private readonly keyColumns: (name: string) => readonly string[],
  ) {
    engine.onChange((c) => this.apply(c));
  }

  /** Bumps with every change of a projection: read it before a store read, pass it back to keep the answer. */
  generation(name: string): number {
    return this.generations.get(name) ?? 0;
  }

  version(name: string): VersionRow | undefined {
    return this.versions.get(name);
  }

  keepVersion(row: VersionRow, generation: number): void {
    if (this.generation(row.name) === generation) this.versions.set(row.name, row);
  }

  rows(name: string, key: string): Row[] | undefined {
    const keys = this.hot.get(name);
    const rows = keys?.get(key);
    if (rows && keys) {
      // Least recently used goes first: a Map iterates in insertion order, so a hit moves to the end.
      keys.delete(key);
      keys.set(key, rows);
    }
    return rows;
  }

  keepRows(name: string, version: string, key: string, rows: Row[], generation: number): void {
    if (this.generation(name) !== generation || this.versions.get(name)?.version !== version) return;
    let keys = this.hot.get(name);
    if (!keys) {
      keys = new Map();
      this.hot.set(name, keys);
    }
    keys.set(key, rows);
    if (keys.size > HOT_KEYS_PER_PROJECTION) keys.delete(keys.keys().next().value!);
  }

  page(name: string, query: string): ProjectionAnswer | undefined {
    return this.pages.get(name)?.get(query);
  }

  keepPage(name: string, version: string, query: string, answer: ProjectionAnswer, generation: number): void {
    if (this.generation(name) !== generation || this.versions.get(name)?.version !== version) return;
    let pages = this.pages.get(name);
    if (!pages) {
      pages = new Map();
      this.pages.set(name, pages);
    }
    pages.set(query, answer);
    if (pages.size > PAGES_PER_PROJECTION) pages.delete(pages.keys().next().value!);
  }

  private apply(c: VersionChange): void {
    this.generations.set(c.name, this.generation(c.name) + 1);
    this.pages.delete(c.name);
    if (c.kind === 'swap') {
      this.versions.set(c.name, c.row);
      this.hot.delete(c.name);
      return;
    }
    const current = this.versions.get(c.name);
    if (current?.version !== c.version) return;
    this.versions.set(c.name, { ...current, speedSeq: c.speedSeq });
    const keys = this.hot.get(c.name);
    if (!keys) return;
    const columns = this.keyColumns(c.name);
    for (const row of c.touched) keys.delete(keyOf(columns.map((k) => row[k])));
  }
}

/**
 * The cache key of a latest projection's key values: timestamps by their instant, everything else as text, so
 * a number bound from a request and the same number read back (a bigint may come back as text) are one key. A
 * key column has one type, so text cannot collide with a number.
 */
export function keyOf(values: readonly unknown[]): string {
  return JSON.stringify(
    values.map((v) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : String(v))),
  );
}
