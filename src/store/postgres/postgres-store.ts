import pg from 'pg';
import { type Logger, pino } from 'pino';
import { type BackoffSettings, defaultBackoff } from '../../core/backoff.js';
import { isConnectionError } from '../../core/connection-errors.js';
import { ConnectionWatch } from '../../core/connection-watch.js';
import type { NewEvent, StoredEvent } from '../../core/event.js';
import { storable } from '../../core/storable.js';
import type { EventFilter } from '../event-filter.js';
import { applyMigrations } from '../migrate.js';
import type {
  AppendResult,
  DeleteOptions,
  DeleteResult,
  Migration,
  Row,
  SqlClient,
  Store,
} from '../store.js';
import { STORE_CONNECTION } from './connection-name.js';
import { appendRun } from './event-append.js';
import { deletePgEvents } from './event-delete.js';
import { connectGuarded } from './guarded-client.js';
import { LeaderLock } from './leader-lock.js';
import { MonthPartitions, splitByMonths } from './month-partitions.js';
import { postgresDialect } from './postgres-dialect.js';
import { POSTGRES_EVENT_MIGRATIONS } from './postgres-migrations.js';
import { TableStatistics } from './table-statistics.js';

// BIGINT and NUMERIC as numbers (seq and counts stay far below 2^53), JSON as its text, like the DuckDB adapter.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(114, (v) => v);
pg.types.setTypeParser(3802, (v) => v);

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  readonly url: string;
  /** A schema to live in (created when missing); the default is the connection's search_path. */
  readonly schema?: string;
  readonly poolSize?: number;
  /** Where the pool's changes of state are logged (one line each). */
  readonly logger?: Logger;
  readonly backoff?: BackoffSettings;
}

// One lock id for every writer of every process: seqs are assigned and committed in order.
const APPEND_LOCK = 0x70616e6f;

/**
 * The server-mode store. Appends COPY the batch into a temporary table and insert what is new in one
 * statement, under a transaction-scoped advisory lock so seqs become visible in order (a reader that has seen
 * seq N never later sees a smaller one appear). (source, ce_source, id) is the primary key, so a retried event is stored
 * once whatever process receives it.
 */
export class PostgresStore implements Store {
  readonly dialect = postgresDialect;
  readonly shared = true;
  readonly exclusive = false;
  private readonly months: MonthPartitions;
  /** Keeps the planner's statistics up with bulk appends. */
  private readonly statistics = new TableStatistics(
    (sql, params) => this.pool.query(sql, params as unknown[]).then((r) => r.rows),
    (fn) => this.inTransaction(fn),
  );
  /** The pool's state: down from a connection failure until a query (or the probe) gets through again. */
  readonly connection: ConnectionWatch;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresStoreOptions,
  ) {
    this.months = new MonthPartitions(pool, APPEND_LOCK);
    this.connection = new ConnectionWatch(
      STORE_CONNECTION,
      options.logger ?? pino({ level: 'silent' }),
      options.backoff ?? defaultBackoff,
    );
    this.connection.up();
    // An idle pooled connection that drops emits 'error' on the pool; unheard, it would end the process.
    pool.on('error', (err) => this.failed(err));
  }

  // A connection failure: the pool is down, and a probe (at the backoff's pace) finds out when it is back,
  // so /status recovers even when nothing else queries.
  private failed(err: unknown): void {
    if (!isConnectionError(err)) return;
    this.connection.down(err);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.probe || this.closed) return;
    this.probe = setTimeout(() => {
      this.probe = undefined;
      this.pool.query('SELECT 1').then(
        () => this.connection.up(),
        (err) => {
          this.connection.down(err);
          this.scheduleProbe();
        },
      );
    }, this.connection.nextWait());
    this.probe.unref();
  }

  // Every statement passes here: a connection failure marks the pool down, a success marks it up.
  private async watched<T>(work: Promise<T>): Promise<T> {
    try {
      const result = await work;
      if (!this.connection.isUp && !this.probe) this.connection.up();
      return result;
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    if (options.schema) {
      // Created (once, under the lock) before any pooled connection exists, since each one starts in it.
      const admin = new pg.Pool({ connectionString: options.url, max: 1 });
      admin.on('error', () => undefined);
      try {
        await withLock(admin, (client) =>
          client.query(`CREATE SCHEMA IF NOT EXISTS ${postgresDialect.quoteIdent(options.schema!)}`),
        );
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 8,
      // A PostgreSQL whose network went silent must fail a connect, not hang it (and /status with it).
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      ...(options.schema
        ? { options: `-c search_path=${startupValue(postgresDialect.quoteIdent(options.schema))}` }
        : {}),
    });
    const store = new PostgresStore(pool, options);
    // A pool that failed to open must not linger (a process waiting for PostgreSQL opens one per attempt).
    try {
      await store.migrate(POSTGRES_EVENT_MIGRATIONS);
    } catch (err) {
      store.closed = true;
      await pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  // Processes starting together would race on CREATE TABLE IF NOT EXISTS: one migrates at a time.
  migrate(migrations: readonly Migration[]): Promise<void> {
    return withLock(this.pool, () => applyMigrations(this, migrations));
  }

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const res = await this.watched(this.pool.query(sql, params.map(toPg)));
    return res.rows as R[];
  }

  async exec(sql: string, params: readonly unknown[] = []): Promise<void> {
    await this.watched(this.pool.query(sql, params.map(toPg)));
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.watched(this.inTransaction(fn));
  }

  leaderLock(
    options: { readonly pollMs?: number; readonly backoff?: BackoffSettings },
    logger: Logger,
  ): LeaderLock {
    return new LeaderLock(
      {
        url: this.options.url,
        ...(this.options.schema ? { schema: this.options.schema } : {}),
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
      },
      logger,
    );
  }

  /** Rows in chunks of a cursor, in a read-only transaction of their own (one pooled connection meanwhile). */
  async *stream(sql: string, params: readonly unknown[] = []): AsyncIterable<Row[]> {
    const client = await this.watched(connectGuarded(this.pool));
    let open = false;
    try {
      await this.watched(client.query('BEGIN READ ONLY'));
      open = true;
      await this.watched(client.query(`DECLARE pmx_stream NO SCROLL CURSOR FOR ${sql}`, params.map(toPg)));
      for (;;) {
        const { rows } = await this.watched(client.query(`FETCH ${STREAM_CHUNK} FROM pmx_stream`));
        if (rows.length > 0) yield rows as Row[];
        if (rows.length < STREAM_CHUNK) break;
      }
      await this.watched(client.query('COMMIT'));
      open = false;
    } finally {
      // Also when the reader stopped early: the connection goes back to the pool without a transaction.
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  private async inTransaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await connectGuarded(this.pool);
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async (sql, params = []) => (await client.query(sql, params.map(toPg))).rows,
        exec: async (sql, params = []) => {
          await client.query(sql, params.map(toPg));
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  append(input: readonly NewEvent[]): Promise<AppendResult> {
    return this.watched(this.appendAll(input));
  }

  private async appendAll(input: readonly NewEvent[]): Promise<AppendResult> {
    const events = input.map(storable);
    if (events.length === 0) return { stored: [], duplicates: [] };
    // Nearly always one run. Several commit one after another: if a later one fails, the earlier ones stay
    // stored, the caller is told the append failed, and its retry finds them as duplicates.
    const runs = splitByMonths(events);
    const stored: StoredEvent[] = [];
    const duplicates: number[] = [];
    let offset = 0;
    for (const run of runs) {
      await this.months.ensure(run.months);
      const r = await appendRun(this.pool, APPEND_LOCK, run.events).catch(async (err: { code?: string }) => {
        // 23514: no partition for a row. Another process's retention dropped a month this one still knew:
        // create it again and retry once.
        if (err?.code !== '23514') throw err;
        this.months.forget([...run.months]);
        await this.months.ensure(run.months);
        return appendRun(this.pool, APPEND_LOCK, run.events);
      });
      stored.push(...r.stored);
      for (const d of r.duplicates) duplicates.push(offset + d);
      offset += run.events.length;
    }
    // Only with no connection held: ANALYZE takes a pooled connection, and appends holding every connection
    // while waiting for one more would wait for each other forever.
    // Only events: autovacuum analyzes plain tables and partitions, never a partitioned table. (event_keys,
    // once analyzed here too, is only ever read through its primary key.)
    // The last seq is the table's size as every process sees it (seqs are dense; deletions only make it large).
    this.statistics.behind('events', stored.length, stored.at(-1)?.seq);
    return { stored, duplicates };
  }

  analyzeAfterGrowth(table: string, added: number, rowsNow?: number): Promise<void> {
    return this.statistics.afterGrowth(table, added, rowsNow);
  }

  async readEvents(afterSeq: number, limit: number, upToSeq?: number): Promise<StoredEvent[]> {
    const rows = await this.query(
      `SELECT seq, source, ce_source, id, type, subject, (extract(epoch FROM time) * 1000)::float8 AS t,
              (extract(epoch FROM received_at) * 1000)::float8 AS r, data::text AS data,
              ce_attributes::text AS ce_attributes
         FROM events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2`,
      [afterSeq, limit, upToSeq ?? Number.MAX_SAFE_INTEGER],
    );
    return rows.map((r) => ({
      seq: r.seq as number,
      source: r.source as string,
      id: r.id as string,
      type: r.type as string,
      subject: r.subject as string | null,
      time: Math.round(r.t as number),
      receivedAt: Math.round(r.r as number),
      data: r.data as string,
      ceSource: r.ce_source as string,
      ceAttributes: r.ce_attributes as string | null,
    }));
  }

  async deleteEvents(filter: EventFilter, options?: DeleteOptions): Promise<DeleteResult> {
    const client = await connectGuarded(this.pool);
    try {
      const result = await deletePgEvents(client, APPEND_LOCK, filter, toPg, options);
      this.months.forget(result.partitionsDropped);
      return result;
    } finally {
      client.release();
    }
  }

  async lastSeq(): Promise<number> {
    // Every append moves it in its commit (events migration 5): one row, where max(seq) over events walked
    // past the rows of the append in flight.
    const rows = await this.query('SELECT coalesce(max(seq), 0) AS m FROM event_seq_floor');
    return rows[0]!.m as number;
  }

  async sizeBytes(): Promise<number | null> {
    const rows = await this.query("SELECT pg_total_relation_size('events') AS b");
    return (rows[0]?.b as number | undefined) ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probe);
    await this.statistics.stop();
    await this.pool.end();
  }
}

const MIGRATE_LOCK = 0x706d786d;

// fn gets the locking connection; work on other pooled connections is fine too (the lock is the session's).
async function withLock<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connectGuarded(pool);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    return await fn(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
    client.release();
  }
}

function toPg(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v) && !Buffer.isBuffer(v))
    return JSON.stringify(v);
  return v;
}

// Rows a stream fetches at a time: DuckDB's chunks are 2,048 rows; a round trip each is worth more here.
const STREAM_CHUNK = 10_000;

// A startup option's value: the server splits options at whitespace, so a backslash keeps it (and itself) in.
function startupValue(text: string): string {
  return text.replace(/[\\\s]/g, (c) => `\\${c}`);
}
