import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ceSourceOf, type NewEvent, type StoredEvent } from '../../core/event.js';
import { keyHash } from '../../core/key-hash.js';
import type { AppendResult } from '../store.js';
import { connectGuarded } from './guarded-client.js';

/**
 * Appends one run of events (all in months whose partitions exist) in one transaction: COPY into a staging
 * table, then insert what is new under the append lock, which orders every process's inserts so seqs become
 * visible in order. Answers the stored events (with their seqs) and the indexes of the duplicates.
 */
export async function appendRun(
  pool: pg.Pool,
  appendLock: number,
  events: readonly NewEvent[],
): Promise<AppendResult> {
  const client = await connectGuarded(pool);
  try {
    // Statements without parameters go together, one round trip each group (the simple query protocol).
    await client.query(
      `BEGIN;
         CREATE TEMP TABLE IF NOT EXISTS pmx_staging (ord INTEGER, key_hash BIGINT, source TEXT, id TEXT, type TEXT,
           subject TEXT, time TIMESTAMPTZ, received_at TIMESTAMPTZ, data JSONB, ce_source TEXT, ce_attributes JSONB)
           ON COMMIT DELETE ROWS`,
    );
    await pipeline(
      Readable.from(csvRows(events)),
      client.query(copyFrom('COPY pmx_staging FROM STDIN WITH (FORMAT csv)')),
    );
    // The lock, the insert and the commit in one round trip: the append lock, which orders every process's
    // inserts, is held for the server's work only, not for a round trip to this process and back.
    const results = (await client.query(
      `SELECT pg_advisory_xact_lock(${appendLock});
         WITH firsts AS (
           SELECT DISTINCT ON (source, ce_source, id) *,
                  CASE WHEN ce_source = source THEN '' ELSE ce_source END AS key_ce_source
             FROM pmx_staging ORDER BY source, ce_source, id, ord
         ), keys AS (
           INSERT INTO event_keys (source, ce_source, id) SELECT source, key_ce_source, id FROM firsts
             ON CONFLICT DO NOTHING RETURNING source, ce_source, id
         ), fresh AS (
           SELECT f.* FROM firsts f
             JOIN keys k ON k.source = f.source AND k.ce_source = f.key_ce_source AND k.id = f.id
         ), base AS (SELECT greatest(coalesce((SELECT max(seq) FROM events), 0),
                                     coalesce((SELECT max(seq) FROM event_seq_floor), 0)) AS s)
         INSERT INTO events (seq, key_hash, source, id, type, subject, time, received_at, data, ce_source, ce_attributes)
         SELECT base.s + row_number() OVER (ORDER BY ord), key_hash, source, id, type, subject, time, received_at, data,
                ce_source, ce_attributes
           FROM fresh, base
         RETURNING seq, source, ce_source, id;
         COMMIT`,
    )) as unknown as pg.QueryResult[];
    const res = results[1]!;
    const seqOf = new Map<string, number>();
    for (const r of res.rows as { seq: number; source: string; ce_source: string; id: string }[])
      seqOf.set(`${r.source}\u0000${r.ce_source}\u0000${r.id}`, r.seq);
    const stored: StoredEvent[] = [];
    const duplicates: number[] = [];
    events.forEach((e, i) => {
      const ceSource = ceSourceOf(e);
      const k = `${e.source}\u0000${ceSource}\u0000${e.id}`;
      const seq = seqOf.get(k);
      if (seq === undefined) duplicates.push(i);
      else {
        stored.push({ ...e, ceSource, ceAttributes: e.ceAttributes ?? null, seq });
        seqOf.delete(k); // a repeat later in the same batch is a duplicate
      }
    });
    stored.sort((a, b) => a.seq - b.seq);
    return { stored, duplicates };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function* csvRows(events: readonly NewEvent[]): Generator<string> {
  let out = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    out += `${i},${keyHash(e.source, e.id, e.ceSource)},${q(e.source)},${q(e.id)},${q(e.type)},${e.subject === null ? '' : q(e.subject)},${new Date(e.time).toISOString()},${new Date(e.receivedAt).toISOString()},${q(e.data)},${q(ceSourceOf(e))},${e.ceAttributes ? q(e.ceAttributes) : ''}\n`;
    if (out.length > 1 << 16) {
      yield out;
      out = '';
    }
  }
  if (out) yield out;
}

// CSV quoting: always quoted, so an empty string stays a string (only an unquoted empty field is NULL).
function q(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
