import type { Logger } from 'pino';
import type { BackoffSettings } from '../core/backoff.js';
import type { ConnectionWatch } from '../core/connection-watch.js';
import type { NewEvent, StoredEvent } from '../core/event.js';
import type { EventFilter } from './event-filter.js';

/** A value a query returns: JSON-like, with timestamps as Date and 64-bit integers as number. */
export type SqlValue = string | number | boolean | null | Date | SqlValue[] | { [key: string]: SqlValue };
/** One result row, by column name. */
export type Row = Record<string, SqlValue>;

/** Runs SQL with bound parameters ($1, $2, …); both engines speak this placeholder style. */
export interface SqlClient {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  exec(sql: string, params?: readonly unknown[]): Promise<void>;
}

/** What differs between engines, as values and small functions: never as `if (engine === …)` elsewhere. */
export interface SqlDialect {
  readonly name: 'duckdb' | 'postgres';
  /**
   * Whether the engine reaches a semi-join's rows on `subject` through an index, where one more filter on the
   * rows it fetches costs nothing (PostgreSQL), rather than by scanning them, where every filter is paid on
   * every row (DuckDB): the orders reports choose their plan by it.
   */
  readonly semiJoinByIndex: boolean;
  /** Quotes an identifier; the only way a name enters SQL text. */
  quoteIdent(name: string): string;
  /**
   * A string literal from the configuration, for SQL that is kept rather than run with parameters (a view's
   * definition, a projection's plan) or cannot take them (DDL, COPY targets). Values from requests or imported
   * data are bound instead (Params).
   */
  literal(text: string): string;
  /** SQL text reading a text value at a JSON path of a JSON column, e.g. data->>'status'. */
  jsonText(column: string, path: readonly string[]): string;
  /**
   * An array of the text values at several top-level keys of a JSON column, indexed from 1 (x[1], x[2]…):
   * DuckDB parses the document once for all of them instead of once per key (8x faster at 100k rows).
   */
  jsonTextList(column: string, keys: readonly string[]): string;
  /** A set-returning SQL expression: one row per text element of the JSON array at a path of a JSON column. */
  jsonTextElements(column: string, path: readonly string[]): string;
  /** SQL type names for the column types projections and tables declare. */
  readonly types: Readonly<Record<ColumnType, string>>;
  /** SQL for seconds since the epoch of a timestamp expression, as a double. */
  epochSeconds(expr: string): string;
  /**
   * An aggregate picking `value` from the row with the greatest (latest) or least (first) ordering key
   * among rows where `cond` holds; `order` lists the key's expressions, compared left to right.
   */
  pick(value: string, order: readonly string[], dir: 'latest' | 'first', cond: string): string;
  /** SQL for the exact seconds from timestamp `from` to `to` (millisecond precision), as a double. */
  secondsBetween(from: string, to: string): string;
  /**
   * A text expression converted to a column type, NULL where a value is not one: one event's "lots" in a
   * numeric field must not fail the rebuild of every view over the events.
   */
  tryCast(text: string, to: ColumnType): string;
  /**
   * The JSON text of a text expression exactly as JavaScript's JSON.stringify writes it, or NULL where the
   * engine would write it otherwise (so a text built with it is NULL rather than different).
   */
  jsonString(expr: string): string;
  /** A timestamp as toISOString() writes it (`2026-12-01T10:00:00.123Z`, UTC, milliseconds). */
  isoMillis(expr: string): string;
  /** An aggregate joining a text expression's values with `separator` (a literal) in `orderBy` order. */
  stringAgg(expr: string, separator: string, orderBy: string): string;
  /** An aggregate collecting an expression's values into one array (a JavaScript array when read). */
  arrayAgg(expr: string, orderBy: string): string;
  /** A text expression as encodeURIComponent writes it, when the engine can (DuckDB's url_encode). */
  uriComponent?(expr: string): string;
}

/** Column types shared by projections, reports and lake tables. */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'date' | 'json';

/** The outcome of an append: what was newly stored, and which inputs were already there. */
export interface AppendResult {
  /** The newly stored events, in input order, with their `seq`. */
  readonly stored: StoredEvent[];
  /** Indexes (into the input) of events whose (source, id) was already stored: stored once, never twice. */
  readonly duplicates: number[];
}

/** A versioned schema change of one component (events, projections, match, lake…). */
export interface Migration {
  readonly component: string;
  readonly version: number;
  readonly name: string;
  /** The DDL, or a function of the dialect when engines need different text. */
  readonly up: string | ((dialect: SqlDialect) => string);
}

/** What a deletion of events removed. */
export interface DeleteResult {
  readonly events: number;
  /** Month partitions dropped whole because every event in them matched (PostgreSQL). */
  readonly partitionsDropped: readonly string[];
}

/** Hooks of a deletion of events. */
export interface DeleteOptions {
  /**
   * Runs in the deletion's own transaction, before the rows go, with the filter as SQL over `events`: what
   * must outlive the events (a projection's kept history) is saved atomically with their removal.
   */
  beforeDelete?(
    tx: SqlClient,
    where: { readonly sql: string; readonly params: readonly unknown[] },
  ): Promise<void>;
}

/** Held leadership: `lost` resolves (with the reason) when the lock's session ends; release gives it up. */
export interface LeaderLease {
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

/** The lock that lets one process of several lead (the batch features of server mode). */
export interface LeaderLock {
  /** The lock's connection, supervised (/status shows it). */
  readonly watch: ConnectionWatch;
  /** Waits until this process holds the lock; null when the signal aborted first. */
  acquire(signal: AbortSignal): Promise<LeaderLease | null>;
}

/** The store port: the append-only event log plus SQL over it and over the projections' tables. */
export interface Store extends SqlClient {
  readonly dialect: SqlDialect;
  /** Whether other processes may write to it at the same time (PostgreSQL; a DuckDB file has one process). */
  readonly shared: boolean;
  /**
   * True when no other process can write this store while it is open (DuckDB holds its file's lock), so what
   * this process last wrote is what is there: readers may then keep state in memory (the projection serving
   * cache). False for a shared server, where other processes fold and swap versions.
   */
  readonly exclusive: boolean;
  /** Applies the migrations not yet applied, in (component, version) order, each in a transaction. */
  migrate(migrations: readonly Migration[]): Promise<void>;
  /** Durably appends events, exactly once per (source, id); resolves only after the commit. */
  append(events: readonly NewEvent[]): Promise<AppendResult>;
  /**
   * Events with seq > afterSeq (and ≤ upToSeq when given), in seq order. The bound lets DuckDB skip every row
   * group past it: without one, reading a page from the start of a large backlog sorts all that follows.
   */
  readEvents(afterSeq: number, limit: number, upToSeq?: number): Promise<StoredEvent[]>;
  /** The highest committed seq (0 when empty): every event at or below it is visible to readers. */
  lastSeq(): Promise<number>;
  /** Runs fn in one transaction on one connection. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Streams a query's rows in chunks, in bounded memory however large the answer (the lake export reads whole
   * tables this way). Stopping early (a `break`) releases what the stream held.
   */
  stream(sql: string, params?: readonly unknown[]): AsyncIterable<Row[]>;
  /**
   * Told that rows were bulk-added to one of our tables: refreshes the planner's statistics when the table has
   * grown enough for it to matter (PostgreSQL; DuckDB keeps its statistics as it writes, and does nothing).
   * rowsNow: the table's size, where the caller knows it as every process sees it.
   */
  analyzeAfterGrowth(table: string, added: number, rowsNow?: number): Promise<void>;
  /**
   * Writes a query's rows to a Parquet file without passing them through JavaScript, answering how many,
   * when the engine can (DuckDB's COPY … TO; absent on PostgreSQL, where Parquet answers are refused).
   */
  copyToParquet?(sql: string, params: readonly unknown[], file: string): Promise<number>;
  /** As copyToParquet, into a Hive-partitioned directory (one scan for every partition), when the engine can. */
  copyToParquetPartitioned?(
    sql: string,
    params: readonly unknown[],
    dir: string,
    partitions: readonly string[],
  ): Promise<number>;
  /**
   * Physically removes the events a filter matches, and their exactly-once keys, in one transaction. Seqs are
   * never reused afterwards, even when the newest events were among them (folds track seqs).
   */
  deleteEvents(filter: EventFilter, options?: DeleteOptions): Promise<DeleteResult>;
  /**
   * Rewrites the store's file with only its live rows, when the engine needs it: a DuckDB delete leaves the
   * rows' bytes in the file (a row group is vacuumed only when enough of it is deleted) and never shortens the
   * file. Null when there is no file (in memory). PostgreSQL has none: dropped partitions are gone at once.
   */
  compact?(): Promise<{ readonly beforeBytes: number; readonly afterBytes: number } | null>;
  /**
   * A leader lock over this store, when other processes share it (PostgreSQL: a session advisory lock per
   * schema). `pollMs`: how often a follower tries for it, and a leader checks its session.
   */
  leaderLock?(
    options: { readonly pollMs?: number; readonly backoff?: BackoffSettings },
    logger: Logger,
  ): LeaderLock;
  /** The state of a server store's connection pool (supervised: /status and /metrics show it). */
  readonly connection?: ConnectionWatch;
  /**
   * A query's answer by columns (one array per selected column, in order) without an object per row, when the
   * engine can hand them over so (DuckDB): for reads of thousands of rows whose values go straight on.
   */
  queryColumns?(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
  /** Bytes the store occupies, when the engine can tell. */
  sizeBytes(): Promise<number | null>;
  close(): Promise<void>;
}
