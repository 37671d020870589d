import { createHash } from 'node:crypto';
import { Params } from '../store/sql-params.js';
import type { Migration, SqlClient, Store } from '../store/store.js';
import type { AnonymousBound } from './anonymous-bound.js';

export const QUARANTINE_MIGRATIONS: readonly Migration[] = [
  {
    component: 'quarantine',
    version: 1,
    name: 'create quarantine',
    up: `CREATE TABLE IF NOT EXISTS panoramix_quarantine (
           id TEXT PRIMARY KEY,
           source TEXT NOT NULL,
           type TEXT,
           reason TEXT NOT NULL,
           field TEXT,
           error TEXT NOT NULL,
           raw TEXT NOT NULL,
           raw_encoding TEXT NOT NULL,
           raw_bytes BIGINT NOT NULL,
           truncated BOOLEAN NOT NULL,
           first_seen TIMESTAMPTZ NOT NULL,
           last_seen TIMESTAMPTZ NOT NULL,
           times INTEGER NOT NULL,
           status TEXT NOT NULL,
           resolved_at TIMESTAMPTZ)`,
  },
];

/** Why an input could not be accepted, in a word: counted by /api/q/stats and /metrics. */
export type QuarantineReason =
  | 'unparseable'
  | 'envelope'
  | 'unknown_source'
  | 'forbidden'
  | 'schema'
  | 'unknown_type';

/** An input a source could not accept, as received. */
export interface QuarantineInput {
  readonly source: string;
  /** The bytes as received (a line, an array element re-serialized, a broker message body). */
  readonly raw: string | Buffer;
  readonly reason: QuarantineReason;
  readonly field?: string;
  readonly error: string;
  readonly type?: string;
}

/** A held input as listed. */
export interface QuarantinedItem {
  readonly id: string;
  readonly source: string;
  readonly type: string | null;
  readonly reason: string;
  readonly field: string | null;
  readonly error: string;
  readonly raw: string;
  readonly rawEncoding: 'utf8' | 'base64';
  readonly rawBytes: number;
  readonly truncated: boolean;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly times: number;
  readonly status: 'held' | 'replayed' | 'discarded';
}

/** Filters of list, replay and discard. */
export interface QuarantineFilter {
  readonly source?: string;
  /** Only these sources (a limited read token's). */
  readonly sources?: readonly string[];
  readonly reason?: string;
  readonly type?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly status?: string;
  readonly ids?: readonly string[];
  readonly limit?: number;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Everything a source delivered and Panoramix could not accept, kept with the reason and the raw bytes
 * (capped, the cap recorded). The id is a hash of source and bytes, so the same bad input sent again is
 * one row seen more times, and replays find the same row.
 */
export class Quarantine {
  readonly counts = new Map<string, number>();
  /** Inputs this process quarantined, by source and reason, once durable (panoramix_events_quarantined_total). */
  readonly bySource = new Map<string, { source: string; reason: string; n: number }>();

  constructor(
    private readonly store: Store,
    readonly maxRawBytes = 64 * 1024,
    /** What of anonymous traffic is kept (server.quarantineAnonymousPerMinute); none: all of it. */
    private readonly anonymous?: AnonymousBound,
  ) {}

  /** Whether an input from a request without a write key may be kept (see AnonymousBound). */
  admitAnonymous(source: string | undefined): boolean {
    return this.anonymous ? this.anonymous.admit(source) : true;
  }

  async migrate(): Promise<void> {
    await this.store.migrate(QUARANTINE_MIGRATIONS);
  }

  /**
   * Keeps inputs; durable when the promise resolves (brokers ack only after). One transaction, a few hundred
   * rows per statement: a flood of bad input is written at the store's speed (one INSERT per item took 10 ms).
   */
  async put(items: readonly QuarantineInput[], now = new Date()): Promise<string[]> {
    const ids: string[] = [];
    // The same input twice in one call is one row seen twice (a statement may not touch a row twice).
    const rows = new Map<string, { values: unknown[]; times: number }>();
    for (const item of items) {
      const bytes = typeof item.raw === 'string' ? Buffer.from(item.raw, 'utf8') : item.raw;
      const id = createHash('sha256')
        .update(item.source)
        .update('\0')
        .update(bytes)
        .digest('hex')
        .slice(0, 24);
      const kept = bytes.subarray(0, this.maxRawBytes);
      let raw: string;
      let encoding: 'utf8' | 'base64' = 'utf8';
      try {
        raw = strict.decode(kept);
      } catch {
        raw = kept.toString('base64');
        encoding = 'base64';
      }
      const values = [
        id,
        item.source,
        item.type ?? null,
        item.reason,
        item.field ?? null,
        item.error,
        raw,
        encoding,
        bytes.length,
        bytes.length > this.maxRawBytes,
      ];
      rows.set(id, { values, times: (rows.get(id)?.times ?? 0) + 1 });
      this.counts.set(item.reason, (this.counts.get(item.reason) ?? 0) + 1);
      ids.push(id);
    }
    const all = [...rows.values()];
    if (all.length === 0) return ids;
    await this.store.transaction(async (tx) => {
      for (let at = 0; at < all.length; at += 200) {
        const p = new Params();
        const at1 = p.add(now);
        const tuples = all
          .slice(at, at + 200)
          .map((r) => `(${p.list(r.values)}, ${at1}, ${at1}, ${p.add(r.times)}, 'held')`);
        await tx.exec(
          `INSERT INTO panoramix_quarantine (id, source, type, reason, field, error, raw, raw_encoding, raw_bytes, truncated, first_seen, last_seen, times, status)
           VALUES ${tuples.join(', ')}
           ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, times = panoramix_quarantine.times + excluded.times,
             reason = excluded.reason, field = excluded.field, error = excluded.error, status = 'held'`,
          p.values,
        );
      }
    });
    for (const item of items) {
      const key = `${item.source}\u0000${item.reason}`;
      const c = this.bySource.get(key) ?? { source: item.source, reason: item.reason, n: 0 };
      c.n++;
      this.bySource.set(key, c);
    }
    return ids;
  }

  async list(filter: QuarantineFilter = {}): Promise<QuarantinedItem[]> {
    const { where, params } = whereOf(filter);
    const rows = await this.store.query(
      `SELECT * FROM panoramix_quarantine ${where} ORDER BY last_seen DESC, id LIMIT ${params.add(Math.min(filter.limit ?? 100, 10_000))}`,
      params.values,
    );
    return rows.map(toItem);
  }

  async get(id: string): Promise<QuarantinedItem | undefined> {
    const rows = await this.store.query('SELECT * FROM panoramix_quarantine WHERE id = $1', [id]);
    return rows[0] ? toItem(rows[0]) : undefined;
  }

  /** Held inputs by reason (what /api/q/stats and /metrics show). */
  async heldByReason(sources?: readonly string[]): Promise<Record<string, number>> {
    const { where, params } = whereOf(sources ? { sources } : {});
    const rows = await this.store.query(
      `SELECT reason, count(*) AS n FROM panoramix_quarantine ${where} GROUP BY reason ORDER BY reason`,
      params.values,
    );
    return Object.fromEntries(rows.map((r) => [r.reason as string, r.n as number]));
  }

  /** Marks held inputs resolved, a few hundred per statement (one UPDATE per item took 10 ms each). */
  async mark(
    db: SqlClient,
    ids: readonly string[],
    status: 'replayed' | 'discarded',
    now = new Date(),
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await db.exec(
        `UPDATE panoramix_quarantine SET status = $1, resolved_at = $2
          WHERE id IN (${new Params(3).list(chunk)})`,
        [status, now, ...chunk],
      );
    }
  }

  async update(id: string, reason: string, field: string | undefined, error: string): Promise<void> {
    await this.store.exec(
      'UPDATE panoramix_quarantine SET reason = $2, field = $3, error = $4 WHERE id = $1',
      [id, reason, field ?? null, error],
    );
  }

  async discard(filter: QuarantineFilter): Promise<number> {
    const items = await this.list({ ...filter, status: 'held', limit: filter.limit ?? 10_000 });
    await this.mark(
      this.store,
      items.map((item) => item.id),
      'discarded',
    );
    return items.length;
  }
}

function whereOf(f: QuarantineFilter): { where: string; params: Params } {
  const parts: string[] = [];
  const params = new Params();
  const add = (sql: string, v: unknown) => parts.push(sql.replace('?', params.add(v)));
  if (f.source) add('source = ?', f.source);
  if (f.sources) parts.push(f.sources.length ? `source IN (${params.list(f.sources)})` : 'FALSE');
  if (f.reason) add('reason = ?', f.reason);
  if (f.type) add('type = ?', f.type);
  if (f.from) add('last_seen >= ?', f.from);
  if (f.to) add('last_seen < ?', f.to);
  add('status = ?', f.status ?? 'held');
  if (f.ids?.length) parts.push(`id IN (${params.list(f.ids)})`);
  return { where: `WHERE ${parts.join(' AND ')}`, params };
}

function toItem(r: Record<string, unknown>): QuarantinedItem {
  return {
    id: r.id as string,
    source: r.source as string,
    type: (r.type as string | null) ?? null,
    reason: r.reason as string,
    field: (r.field as string | null) ?? null,
    error: r.error as string,
    raw: r.raw as string,
    rawEncoding: r.raw_encoding as 'utf8' | 'base64',
    rawBytes: Number(r.raw_bytes),
    truncated: Boolean(r.truncated),
    firstSeen: (r.first_seen as Date).toISOString(),
    lastSeen: (r.last_seen as Date).toISOString(),
    times: Number(r.times),
    status: r.status as QuarantinedItem['status'],
  };
}
