import type { Row } from '../store/store.js';

/** How fresh an answer is: the batch watermark, what the speed layer added since, and when the batch ran. */
export interface Freshness {
  /** Highest event seq included in the batch view. */
  readonly watermark: number;
  /** Events after the watermark folded in by the speed layer (0 for sql projections). */
  readonly speedEvents: number;
  /** When the batch view was computed (ISO), or null before the first build. */
  readonly batchAt: string | null;
  /** Seconds since the batch ran (sql projections report their age this way). */
  readonly ageSeconds: number | null;
}

/** A filter on one column: equality, range, or membership. */
export type ColumnFilter =
  | { readonly op: 'eq'; readonly value: unknown }
  | { readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: unknown }
  | { readonly op: 'in'; readonly values: readonly unknown[] };

/** Options of a projection read. */
export interface ProjectionQuery {
  readonly filters?: Readonly<Record<string, readonly ColumnFilter[]>>;
  readonly sort?: readonly { readonly column: string; readonly desc?: boolean }[];
  readonly limit?: number;
  readonly cursor?: string;
}

/** Rows of a projection or named query, with their columns and freshness. */
export interface ProjectionAnswer {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: Row[];
  readonly freshness: Freshness;
  readonly nextCursor?: string | null;
}

/**
 * The projections engine as other features see it (reports, dashboard, lake): set on the runtime by the
 * projections service, so a feature never reaches into the engine's tables.
 */
export interface ProjectionReader {
  names(): string[];
  read(name: string, query?: ProjectionQuery): Promise<ProjectionAnswer>;
  /** Runs a named query with typed parameters (validated and bound, never interpolated). */
  runQuery(name: string, params: Readonly<Record<string, unknown>>): Promise<ProjectionAnswer>;
  queryNames(): string[];
  /**
   * A latest projection's change feed: the keys that events after `after` changed (at most `limit`, by the
   * highest seq of their changing events), up to the seq its speed layer has folded, which it returns too.
   */
  changedKeys(name: string, after: number, limit: number): Promise<ChangedKeys>;
}

/** Keys of a latest projection changed since a seq, and how far that was looked. */
export interface ChangedKeys {
  readonly keys: readonly { readonly key: Row; readonly seq: number }[];
  /** Every change by an event at or below this seq is in `keys`. */
  readonly scannedTo: number;
  /** True when there is more to read after scannedTo that is already folded. */
  readonly more: boolean;
}
