import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { StoredEvent } from '../../core/event.js';

// NUL separates a column's values: no stored text holds one (storable() turns NUL into U+FFFD first).
const SEP = '\u0000';

/**
 * Inserts a batch of events as one statement with one text parameter per column, which DuckDB splits and
 * zips back into rows. Why not the appender: it crosses from JavaScript into DuckDB once per value (five
 * strings and four wrapped numbers per event), all of it on the main thread, which is what bounded ingest
 * (measured: 1.55 ms of main-thread work per 1,000 events against 0.47 ms this way). Here the main thread
 * only joins strings; DuckDB splits them (a memchr per value, no JSON parsing) off the main thread.
 * A null subject is sent as '' and a present one behind an 's', so the two stay apart; a CloudEvents
 * source equal to the source (nearly every one) and absent attributes are sent as '' (neither is ever ''). The seqs are
 * range(n) plus the first: range($1, $1 + $2) cost DuckDB 1.3 µs per row against 0.01 µs for range($2).
 */
const INSERT = `INSERT INTO events (seq, key_hash, source, id, type, subject, time, received_at, data,
                    ce_source, ce_attributes)
  SELECT $1::BIGINT + k, h::BIGINT, s, i, t, CASE WHEN sj = '' THEN NULL ELSE sj[2:] END,
         make_timestamptz(tm::BIGINT), make_timestamptz(r::BIGINT), d,
         CASE WHEN cs = '' THEN s ELSE cs END, CASE WHEN ca = '' THEN NULL ELSE ca END
    FROM (SELECT unnest(range($2::BIGINT)) AS k,
                 unnest(string_split($3, chr(0))) AS h,
                 unnest(string_split($4, chr(0))) AS s,
                 unnest(string_split($5, chr(0))) AS i,
                 unnest(string_split($6, chr(0))) AS t,
                 unnest(string_split($7, chr(0))) AS sj,
                 unnest(string_split($8, chr(0))) AS tm,
                 unnest(string_split($9, chr(0))) AS r,
                 unnest(string_split($10, chr(0))) AS d,
                 unnest(string_split($11, chr(0))) AS cs,
                 unnest(string_split($12, chr(0))) AS ca)`;

const prepared = new WeakMap<DuckDBConnection, Promise<DuckDBPreparedStatement>>();

/** Inserts events whose seqs run from events[0].seq without gaps, in the connection's open transaction. */
export async function insertEvents(
  conn: DuckDBConnection,
  events: readonly StoredEvent[],
  hashes: readonly number[],
): Promise<void> {
  let statement = prepared.get(conn);
  if (!statement) {
    statement = conn.prepare(INSERT);
    prepared.set(conn, statement);
  }
  const p = await statement;
  const n = events.length;
  const hash = new Array<string>(n);
  const source = new Array<string>(n);
  const id = new Array<string>(n);
  const type = new Array<string>(n);
  const subject = new Array<string>(n);
  const time = new Array<string>(n);
  const received = new Array<string>(n);
  const data = new Array<string>(n);
  const ceSource = new Array<string>(n);
  const ceAttributes = new Array<string>(n);
  let lastReceived = Number.NaN;
  let receivedText = '';
  for (let k = 0; k < n; k++) {
    const e = events[k]!;
    hash[k] = String(hashes[k]);
    source[k] = e.source;
    id[k] = e.id;
    type[k] = e.type;
    subject[k] = e.subject === null ? '' : `s${e.subject}`;
    // Events of one request share their receipt time, and those that name no time have it as their time:
    // convert each once.
    if (e.receivedAt !== lastReceived) {
      lastReceived = e.receivedAt;
      receivedText = String(Math.round(e.receivedAt * 1000));
    }
    received[k] = receivedText;
    time[k] = e.time === lastReceived ? receivedText : String(Math.round(e.time * 1000));
    data[k] = e.data;
    ceSource[k] = e.ceSource === e.source ? '' : e.ceSource;
    ceAttributes[k] = e.ceAttributes ?? '';
  }
  p.bindBigInt(1, BigInt(events[0]!.seq));
  p.bindBigInt(2, BigInt(n));
  p.bindVarchar(3, hash.join(SEP));
  p.bindVarchar(4, source.join(SEP));
  p.bindVarchar(5, id.join(SEP));
  p.bindVarchar(6, type.join(SEP));
  p.bindVarchar(7, subject.join(SEP));
  p.bindVarchar(8, time.join(SEP));
  p.bindVarchar(9, received.join(SEP));
  p.bindVarchar(10, data.join(SEP));
  p.bindVarchar(11, ceSource.join(SEP));
  p.bindVarchar(12, ceAttributes.join(SEP));
  await p.run();
}
