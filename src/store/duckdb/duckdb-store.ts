import fs from 'node:fs';
import path from 'node:path';
import {
  BIGINT,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
  TIMESTAMPTZ,
  timestampTZValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { NewEvent, StoredEvent } from '../../core/event.js';
import { keyHash } from '../../core/key-hash.js';
import { applyMigrations } from '../migrate.js';
import { EVENT_MIGRATIONS } from '../migrations.js';
import type { AppendResult, Migration, Row, SqlClient, Store } from '../store.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { fromDuckRow, toDuckValue } from './duckdb-values.js';
import { KeySet } from './key-set.js';
import { Mutex } from './mutex.js';

const EVENT_COLUMNS = [BIGINT, BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, TIMESTAMPTZ, TIMESTAMPTZ, VARCHAR];
const CHUNK_ROWS = 2048;

/** Options of the embedded store. */
export interface DuckDbStoreOptions {
  /** The database file, or ':memory:'. */
  readonly path: string;
}

/** The embedded store: one DuckDB file, one writer, exactly-once through an in-memory key set. */
export class DuckDbStore implements Store {
  readonly dialect = duckdbDialect;
  private readonly keys = new KeySet();
  private readonly writeLock = new Mutex();
  private readonly idle: DuckDBConnection[] = [];
  private nextSeq = 1;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
  ) {}

  /** Opens (creating when needed) the store file, applies the event migrations and loads the key set. */
  static async open(options: DuckDbStoreOptions): Promise<DuckDbStore> {
    if (options.path !== ':memory:')
      fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    const instance = await DuckDBInstance.create(options.path);
    const store = new DuckDbStore(instance, await instance.connect());
    await store.migrate(EVENT_MIGRATIONS);
    await store.loadKeys();
    return store;
  }

  migrate(migrations: readonly Migration[]): Promise<void> {
    return applyMigrations(this, migrations);
  }

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.withConnection(async (c) => runQuery<R>(c, sql, params));
  }

  async exec(sql: string, params: readonly unknown[] = []): Promise<void> {
    await this.withConnection(async (c) => {
      await c.run(sql, params.length ? params.map(toDuckValue) : undefined);
    });
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.withConnection(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const result = await fn({
          query: (sql, params = []) => runQuery(c, sql, params),
          exec: async (sql, params = []) => {
            await c.run(sql, params.length ? params.map(toDuckValue) : undefined);
          },
        });
        await c.run('COMMIT');
        return result;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  append(events: readonly NewEvent[]): Promise<AppendResult> {
    return this.writeLock.run(() => this.appendLocked(events));
  }

  async readEvents(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.query(
      `SELECT seq, source, id, type, subject, epoch_ms(time) AS t, epoch_ms(received_at) AS r, data::VARCHAR AS data
         FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map((r) => ({
      seq: r.seq as number,
      source: r.source as string,
      id: r.id as string,
      type: r.type as string,
      subject: r.subject as string | null,
      time: r.t as number,
      receivedAt: r.r as number,
      data: r.data as string,
    }));
  }

  async lastSeq(): Promise<number> {
    return this.nextSeq - 1;
  }

  async sizeBytes(): Promise<number | null> {
    const rows = await this.query('SELECT database_size FROM pragma_database_size() LIMIT 1');
    const text = String(rows[0]?.database_size ?? '');
    return parseHumanBytes(text);
  }

  async close(): Promise<void> {
    await this.writeLock.run(async () => {
      for (const c of this.idle.splice(0)) c.closeSync();
      this.writer.closeSync();
      this.instance.closeSync();
    });
  }

  /** Memory the exactly-once key set holds, for /metrics and the benchmark. */
  keySetBytes(): number {
    return this.keys.bytes;
  }

  private async appendLocked(events: readonly NewEvent[]): Promise<AppendResult> {
    const hashes = events.map((e) => keyHash(e.source, e.id));
    const suspects: number[] = [];
    for (let i = 0; i < events.length; i++) if (this.keys.add(hashes[i]!)) suspects.push(i);
    const known = suspects.length ? await this.storedKeys(suspects.map((i) => hashes[i]!)) : null;

    const stored: StoredEvent[] = [];
    const storedHashes: number[] = [];
    const duplicates: number[] = [];
    const inBatch = suspects.length ? new Set<string>() : null;
    let seq = this.nextSeq;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (inBatch) {
        const k = `${e.source}\u0000${e.id}`;
        if (known?.has(k) || inBatch.has(k)) {
          duplicates.push(i);
          continue;
        }
        inBatch.add(k);
      }
      stored.push({
        source: e.source,
        id: e.id,
        type: e.type,
        subject: e.subject,
        time: e.time,
        data: e.data,
        receivedAt: e.receivedAt,
        seq: seq++,
      });
      storedHashes.push(hashes[i]!);
    }
    if (stored.length === 0) return { stored, duplicates };

    await this.writer.run('BEGIN TRANSACTION');
    try {
      const appender = await this.writer.createAppender('events');
      for (let start = 0; start < stored.length; start += CHUNK_ROWS) {
        appender.appendDataChunk(
          eventChunk(stored, start, Math.min(stored.length, start + CHUNK_ROWS), storedHashes),
        );
      }
      appender.closeSync();
      await this.writer.run('COMMIT');
    } catch (err) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.nextSeq = seq;
    return { stored, duplicates };
  }

  // The exact keys stored under the given hashes: the verification of a key-set hit.
  private async storedKeys(hashes: number[]): Promise<Set<string>> {
    const unique = [...new Set(hashes)];
    const found = new Set<string>();
    for (let i = 0; i < unique.length; i += 1000) {
      const part = unique.slice(i, i + 1000);
      const rows = await runQuery(
        this.writer,
        `SELECT source, id FROM events WHERE key_hash IN (${part.map((_, j) => `$${j + 1}`).join(',')})`,
        part.map((h) => BigInt(h)),
      );
      for (const r of rows) found.add(`${r.source}\u0000${r.id}`);
    }
    return found;
  }

  private async loadKeys(): Promise<void> {
    const result = await this.writer.stream('SELECT key_hash FROM events');
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const h of chunk.getColumnValues(0) as bigint[]) this.keys.add(Number(h));
    }
    const rows = await runQuery(this.writer, 'SELECT coalesce(max(seq), 0) AS m FROM events', []);
    this.nextSeq = (rows[0]?.m as number) + 1;
  }

  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? (await this.instance.connect());
    try {
      return await fn(c);
    } finally {
      if (this.idle.length < 8) this.idle.push(c);
      else c.closeSync();
    }
  }
}

async function runQuery<R extends Row>(
  c: DuckDBConnection,
  sql: string,
  params: readonly unknown[],
): Promise<R[]> {
  const reader = await c.runAndReadAll(sql, params.length ? params.map(toDuckValue) : undefined);
  return reader.getRowObjectsJS().map((r) => fromDuckRow(r) as R);
}

function eventChunk(events: StoredEvent[], start: number, end: number, hashes: number[]): DuckDBDataChunk {
  const n = end - start;
  const cols: DuckDBValue[][] = EVENT_COLUMNS.map(() => new Array<DuckDBValue>(n));
  let lastReceived = Number.NaN;
  let lastValue: DuckDBValue | undefined;
  for (let i = 0; i < n; i++) {
    const e = events[start + i]!;
    cols[0]![i] = BigInt(e.seq);
    cols[1]![i] = BigInt(hashes[start + i]!);
    cols[2]![i] = e.source;
    cols[3]![i] = e.id;
    cols[4]![i] = e.type;
    cols[5]![i] = e.subject;
    cols[6]![i] = timestampTZValue(BigInt(Math.round(e.time * 1000)));
    // Events of one request share their receipt time: reuse the value instead of converting again.
    if (e.receivedAt !== lastReceived || !lastValue) {
      lastValue = timestampTZValue(BigInt(Math.round(e.receivedAt * 1000)));
      lastReceived = e.receivedAt;
    }
    cols[7]![i] = lastValue;
    cols[8]![i] = e.data;
  }
  const chunk = DuckDBDataChunk.create(EVENT_COLUMNS, n);
  for (let k = 0; k < cols.length; k++) chunk.setColumnValues(k, cols[k]!);
  return chunk;
}

function parseHumanBytes(text: string): number | null {
  const m = /^([\d.]+)\s*([KMGT]i?B|bytes)$/i.exec(text.trim());
  if (!m) return null;
  const units: Record<string, number> = {
    bytes: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1048576,
    gb: 1e9,
    gib: 1073741824,
    tb: 1e12,
    tib: 1099511627776,
  };
  return Math.round(Number(m[1]) * (units[m[2]!.toLowerCase()] ?? 1));
}
