import {
  BIGINT,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBValue,
  TIMESTAMPTZ,
  timestampTZValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { NewEvent, StoredEvent } from '../../core/event.js';
import { keyHash } from '../../core/key-hash.js';
import type { AppendResult } from '../store.js';
import { KeySet } from './key-set.js';
import { Mutex } from './mutex.js';

const EVENT_COLUMNS = [BIGINT, BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, TIMESTAMPTZ, TIMESTAMPTZ, VARCHAR];
const CHUNK_ROWS = 2048;

/** Runs a query on one connection: the writer's only reads are the key verifications. */
export type ConnectionQuery = (
  c: DuckDBConnection,
  sql: string,
  params: readonly unknown[],
) => Promise<Record<string, unknown>[]>;

interface Staged {
  readonly epoch: number;
  readonly firstSeq: number;
  readonly events: StoredEvent[];
  readonly hashes: number[];
}

/**
 * Appends events to the embedded store exactly once, with two commits in flight: while one batch's
 * COMMIT (the WAL write and fsync, off the main thread) is under way, the next batch is already staged in
 * a second connection's transaction. Commits are issued strictly in seq order, so a reader never sees a
 * seq before every smaller one is visible. If a commit fails, every batch staged before the failure was
 * known fails too (it may have counted on the failed batch for its duplicates), and seq restarts at the
 * failed batch: nothing is acknowledged that is not stored.
 */
export class EventWriter {
  private readonly keys = new KeySet();
  private readonly stageLock = new Mutex();
  private readonly inflight: Staged[] = [];
  private readonly connectionFree: Promise<unknown>[];
  private lastCommit: Promise<{ ok: boolean; epoch: number }> = Promise.resolve({ ok: true, epoch: 0 });
  private epoch = 0;
  private turn = 0;
  /** The next seq to assign: staged batches have taken the ones below it, committed or not. */
  private nextSeq = 1;
  /**
   * The last seq whose batch has committed, and so what readers can see: batches commit in seq order, so
   * everything at or below it is visible. Folds read up to here and move their watermark past it; a staged
   * seq handed out instead would be skipped for good if its batch were still committing.
   */
  committedSeq = 0;

  constructor(
    private readonly connections: readonly DuckDBConnection[],
    private readonly query: ConnectionQuery,
  ) {
    this.connectionFree = connections.map(() => Promise.resolve());
  }

  get keySetBytes(): number {
    return this.keys.bytes;
  }

  /** Rebuilds the key set and the next seq from the stored events (at open). */
  async load(): Promise<void> {
    const c = this.connections[0]!;
    const result = await c.stream('SELECT key_hash FROM events');
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const h of chunk.getColumnValues(0) as bigint[]) this.keys.add(Number(h));
    }
    const rows = await this.query(c, 'SELECT coalesce(max(seq), 0) AS m FROM events', []);
    this.committedSeq = Number(rows[0]?.m ?? 0);
    this.nextSeq = this.committedSeq + 1;
  }

  /** Stages the events, calls onStaged (the caller may form its next batch), then commits in order. */
  async append(events: readonly NewEvent[], onStaged?: () => void): Promise<AppendResult> {
    let staged: { batch: Staged | null; duplicates: number[]; conn: DuckDBConnection; link: Promise<void> };
    try {
      staged = await this.stageLock.run(() => this.stage(events));
    } finally {
      onStaged?.();
    }
    await staged.link;
    return { stored: staged.batch?.events ?? [], duplicates: staged.duplicates };
  }

  /** Waits for every commit issued so far. */
  async idle(): Promise<void> {
    await this.lastCommit;
  }

  private async stage(events: readonly NewEvent[]) {
    const hashes = new Array<number>(events.length);
    const suspects: number[] = [];
    for (let i = 0; i < events.length; i++) {
      const h = keyHash(events[i]!.source, events[i]!.id);
      hashes[i] = h;
      if (this.keys.add(h)) suspects.push(i);
    }
    const slot = this.turn++ % this.connections.length;
    const conn = this.connections[slot]!;
    await this.connectionFree[slot];
    // In-flight batches are taken before the store is asked, so a batch committing in between is seen once.
    const pending = suspects.length ? this.inflight.slice() : [];
    const known = suspects.length
      ? await this.storedKeys(
          conn,
          suspects.map((i) => hashes[i]!),
        )
      : null;
    if (known)
      for (const b of pending)
        addPendingKeys(
          b,
          suspects.map((i) => hashes[i]!),
          known,
        );

    const stored: StoredEvent[] = [];
    const storedHashes: number[] = [];
    const duplicates: number[] = [];
    const inBatch = suspects.length ? new Set<string>() : null;
    const firstSeq = this.nextSeq;
    let seq = firstSeq;
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
    if (stored.length === 0) return { batch: null, duplicates, conn, link: Promise.resolve() };

    await conn.run('BEGIN TRANSACTION');
    try {
      const appender = await conn.createAppender('events');
      for (let start = 0; start < stored.length; start += CHUNK_ROWS) {
        appender.appendDataChunk(
          eventChunk(stored, start, Math.min(stored.length, start + CHUNK_ROWS), storedHashes),
        );
      }
      appender.closeSync();
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.nextSeq = seq;
    const batch: Staged = { epoch: this.epoch, firstSeq, events: stored, hashes: storedHashes };
    this.inflight.push(batch);
    const previous = this.lastCommit;
    const link = previous.then(async (prev) => {
      try {
        if (!prev.ok && prev.epoch === batch.epoch) {
          throw new Error('an earlier commit failed; this batch was staged after it and is not stored');
        }
        await conn.run('COMMIT');
        this.committedSeq = batch.firstSeq + batch.events.length - 1;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        if (batch.epoch === this.epoch) this.fail(batch);
        throw err;
      } finally {
        const at = this.inflight.indexOf(batch);
        if (at >= 0) this.inflight.splice(at, 1);
      }
    });
    this.lastCommit = link.then(
      () => ({ ok: true, epoch: batch.epoch }),
      () => ({ ok: false, epoch: batch.epoch }),
    );
    this.connectionFree[slot] = this.lastCommit;
    return { batch, duplicates, conn, link };
  }

  // A failed commit: batches staged before now are doomed (their link sees the failure); later ones start
  // a new epoch, reuse the failed seqs, and must not count on doomed batches for duplicates.
  private fail(batch: Staged): void {
    this.epoch++;
    this.nextSeq = Math.min(this.nextSeq, batch.firstSeq);
    this.inflight.length = 0;
  }

  // The exact keys stored under the given hashes: the verification of a key-set hit.
  private async storedKeys(conn: DuckDBConnection, hashes: number[]): Promise<Set<string>> {
    const unique = [...new Set(hashes)];
    const found = new Set<string>();
    for (let i = 0; i < unique.length; i += 1000) {
      const part = unique.slice(i, i + 1000);
      const rows = await this.query(
        conn,
        `SELECT source, id FROM events WHERE key_hash IN (${part.map((_, j) => `$${j + 1}`).join(',')})`,
        part.map((h) => BigInt(h)),
      );
      for (const r of rows) found.add(`${r.source}\u0000${r.id}`);
    }
    return found;
  }
}

// Keys of an in-flight (staged, not yet committed) batch that a suspect may repeat.
function addPendingKeys(batch: Staged, suspectHashes: number[], into: Set<string>): void {
  const wanted = new Set(suspectHashes);
  for (let i = 0; i < batch.hashes.length; i++) {
    if (wanted.has(batch.hashes[i]!)) into.add(`${batch.events[i]!.source}\u0000${batch.events[i]!.id}`);
  }
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
