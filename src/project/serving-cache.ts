import type { Row } from '../store/store.js';
import type { ProjectionEngine, VersionChange } from './engine.js';
import { keyOf } from './key-of.js';
import type { LatestReplica } from './latest-replica.js';
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
  /** Latest projections held whole (see LatestReplica), and the versions being loaded with the keys touched meanwhile. */
  private readonly replicas = new Map<string, LatestReplica>();
  private readonly loading = new Map<string, { version: string; touched: Set<string> }>();
  /** Versions found too large to hold whole, so they are not counted again. */
  private readonly tooLarge = new Set<string>();

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

  /** Whether a replica of this version should be loaded: none is held or loading, and it was not too large. */
  wantsReplica(name: string, version: string): boolean {
    return (
      this.replicas.get(name)?.version !== version &&
      this.loading.get(name)?.version !== version &&
      !this.tooLarge.has(version) &&
      this.versions.get(name)?.version === version
    );
  }

  /** A replica load begins: folds from now on are recorded, so the rows it read before them are not used. */
  replicaLoading(name: string, version: string): void {
    this.loading.set(name, { version, touched: new Set() });
  }

  /** The load ended with every key's merged rows (or undefined: too large); kept if the version still serves. */
  replicaLoaded(name: string, version: string, replica: LatestReplica | undefined): void {
    const loading = this.loading.get(name);
    if (loading?.version !== version) return;
    this.loading.delete(name);
    if (!replica) {
      this.tooLarge.add(version);
      return;
    }
    if (this.versions.get(name)?.version !== version) return;
    for (const key of loading.touched) replica.touch(key);
    this.replicas.set(name, replica);
    this.hot.delete(name);
  }

  /** Keys held in memory per replicated projection (for /metrics, and for tests to see a replica is in use). */
  replicaKeys(): Map<string, number> {
    return new Map([...this.replicas].map(([name, r]) => [name, r.size]));
  }

  replicaFailed(name: string, version: string): void {
    if (this.loading.get(name)?.version === version) this.loading.delete(name);
  }

  rows(name: string, key: string): Row[] | undefined {
    const replica = this.replicas.get(name);
    if (replica) return replica.get(key);
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
    const replica = this.replicas.get(name);
    if (replica?.version === version) {
      replica.set(key, rows);
      return;
    }
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
      this.replicas.delete(c.name);
      this.loading.delete(c.name);
      return;
    }
    const current = this.versions.get(c.name);
    if (current?.version !== c.version) return;
    this.versions.set(c.name, { ...current, speedSeq: c.speedSeq });
    // What holds keys of this version forgets the ones the fold wrote; where nothing does, no key is made.
    const loading = this.loading.get(c.name);
    const loadingTouched = loading?.version === c.version ? loading.touched : undefined;
    const replica = this.replicas.get(c.name);
    const replicated = replica?.version === c.version ? replica : undefined;
    const keys = this.hot.get(c.name);
    if (!loadingTouched && !replicated && !keys) return;
    const columns = this.keyColumns(c.name);
    for (const row of c.touched) {
      const k = keyOf(columns.map((col) => row[col]));
      loadingTouched?.add(k);
      replicated?.touch(k);
      keys?.delete(k);
    }
  }
}
