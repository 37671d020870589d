import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ceSourceOf, type NewEvent, type StoredEvent, storedEvent } from '../../core/event.js';
import { keyHash } from '../../core/key-hash.js';
import type { AppendResult } from '../store.js';
import { connectGuarded } from './guarded-client.js';

// The staging table of a session's appends. Times are epoch milliseconds and the CloudEvents source is ''
// when it is the source (nearly always; a CloudEvents source is never ''): the text this process writes for a
// row was half of an append's time in this process (measured: 6.5 µs per event with ISO times, 2.3 without).
// A new name for a new shape: a session that made the earlier table never sees this one.
const STAGING = 'pmx_staging_v2';
const CREATE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (ord INTEGER, key_hash BIGINT, source TEXT,
  id TEXT, type TEXT, subject TEXT, time_ms DOUBLE PRECISION, received_ms DOUBLE PRECISION, data JSONB,
  key_ce_source TEXT, ce_attributes JSONB) ON COMMIT DELETE ROWS`;

/** The highest seq given out: the last event's, or a deleted one's (a seq is never given out twice). */
export const HIGHEST_SEQ = `SELECT greatest(coalesce((SELECT max(seq) FROM events), 0),
                              coalesce((SELECT max(seq) FROM event_seq_floor), 0)) AS s`;
const COLUMNS = 'key_hash, source, id, type, subject, time, received_at, data, ce_source, ce_attributes';
// Epoch milliseconds to a time exactly: to_timestamp(ms / 1000) goes through seconds as a double, microseconds
// off past about 2240 (9999-12-31T23:59:59.001 became .000992). Days and milliseconds are whole numbers, and
// timestamp arithmetic (not timestamptz's) knows no daylight saving.
const exactTime = (ms: string) =>
  `(TIMESTAMP '1970-01-01' + (${ms}::bigint / 86400000) * INTERVAL '1 day'
     + (${ms}::bigint % 86400000) * INTERVAL '1 millisecond') AT TIME ZONE 'UTC'`;
const VALUES = `key_hash, source, id, type, subject, ${exactTime('time_ms')}, ${exactTime('received_ms')},
  data, CASE WHEN key_ce_source = '' THEN source ELSE key_ce_source END, ce_attributes`;
const UNIQUE_VIOLATION = '23505';

// The last seq, which readers ask for (Store.lastSeq), moved past the run's in the same commit.
const head = (added: string) =>
  `head AS (UPDATE event_seq_floor SET seq = greatest(seq, (SELECT s FROM base) + ${added}))`;

// Every staged key is new (nearly every append): plain inserts, which fail on a key already stored, and the
// seqs follow the staging order. ON CONFLICT DO NOTHING costs twice a plain insert into the keys' index
// (measured: 200k keys in 2.0 s against 0.96 s), and finding the new rows took a join and three sorts.
const ALL_NEW = `WITH base AS (${HIGHEST_SEQ}),
  keys AS (INSERT INTO event_keys (source, ce_source, id) SELECT source, key_ce_source, id FROM ${STAGING}),
  inserted AS (INSERT INTO events (seq, ${COLUMNS}) SELECT base.s + 1 + ord, ${VALUES} FROM ${STAGING}, base),
  ${head(`(SELECT count(*) FROM ${STAGING})`)}
  SELECT s::float8 AS base FROM base`;

// Some staged keys are stored already (a redelivery, a retry): those are skipped, the others take the next
// seqs in staging order, and the answer names the staged rows that were known. A hash join matches the keys
// inserted with their rows: the planner, without statistics on the staging table, chose a merge join and
// sorted both sides.
const SOME_KNOWN = `WITH keys AS (
    INSERT INTO event_keys (source, ce_source, id) SELECT source, key_ce_source, id FROM ${STAGING}
      ON CONFLICT DO NOTHING RETURNING source, ce_source, id
  ), fresh AS (
    SELECT s.* FROM ${STAGING} s
      JOIN keys k ON k.source = s.source AND k.ce_source = s.key_ce_source AND k.id = s.id
  ), base AS (${HIGHEST_SEQ}),
  inserted AS (
    INSERT INTO events (seq, ${COLUMNS})
    SELECT base.s + row_number() OVER (ORDER BY ord), ${VALUES} FROM fresh, base
  ),
  ${head('(SELECT count(*) FROM fresh)')}
  SELECT (SELECT s FROM base)::float8 AS base,
         ARRAY(SELECT ord FROM ${STAGING} EXCEPT ALL SELECT ord FROM fresh ORDER BY 1) AS known`;

/**
 * Appends one run of events (all in months whose partitions exist) in one transaction: COPY into a staging
 * table, then insert what is new under the append lock, which orders every process's inserts so seqs become
 * visible in order. Answers the stored events (with their seqs) and the indexes of the duplicates.
 *
 * Repeats within the run are found here, before PostgreSQL is asked (the first is stored, the rest are
 * duplicates). PostgreSQL answers the seq before the run's and which staged keys it already held; the stored
 * events take the seqs after it in order. (It answered every stored row's seq and key, which this process then
 * matched back to the events: 4–5 µs per event.)
 */
export async function appendRun(
  pool: pg.Pool,
  appendLock: number,
  events: readonly NewEvent[],
): Promise<AppendResult> {
  const hashes = events.map((e) => keyHash(e.source, e.id, e.ceSource));
  const { staged, duplicates } = splitRepeats(events, hashes);
  const client = await connectGuarded(pool);
  try {
    // Statements without parameters go together, one round trip each group (the simple query protocol).
    await client.query(`BEGIN; ${CREATE_STAGING}`);
    await pipeline(
      Readable.from(csvRows(events, staged, hashes)),
      client.query(copyFrom(`COPY ${STAGING} FROM STDIN WITH (FORMAT csv)`)),
    );
    const known = await insertStaged(client, appendLock);
    const stored: StoredEvent[] = [];
    let seq = known.base;
    for (let ord = 0; ord < staged.length; ord++) {
      const i = staged[ord]!;
      if (known.ords.has(ord)) {
        duplicates.push(i);
        continue;
      }
      stored.push(storedEvent(events[i]!, ++seq));
    }
    duplicates.sort((a, b) => a - b);
    return { stored, duplicates };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The events to stage, and the repeats of an earlier one in the run (by key), given each event's key hash:
 * the first of a key is staged. Keys are compared as text only where two events share a hash, and where two
 * keys do, they fall back to a set of the keys as text. (A text key per event in a set, with the copies of
 * the stored events, was 3 µs per event of a worker's own time, for runs of up to 100k events.)
 */
export function splitRepeats(
  events: readonly NewEvent[],
  hashes: readonly number[],
): { staged: number[]; duplicates: number[] } {
  const staged: number[] = [];
  const duplicates: number[] = [];
  const firstByHash = new Map<number, number>();
  let collided: Set<string> | undefined;
  for (let i = 0; i < events.length; i++) {
    const first = firstByHash.get(hashes[i]!);
    if (first === undefined) {
      firstByHash.set(hashes[i]!, i);
      staged.push(i);
      continue;
    }
    const k = keyText(events[i]!);
    if (keyText(events[first]!) === k || collided?.has(k)) duplicates.push(i);
    else {
      collided ??= new Set();
      collided.add(k);
      staged.push(i);
    }
  }
  return { staged, duplicates };
}

/**
 * Inserts the staged rows that are new and commits; answers the seq before theirs and the staged rows that
 * were stored already. The lock, the insert and the commit go in one round trip: the append lock, which orders
 * every process's inserts, is held for the server's work only, not for a round trip to this process and back.
 */
async function insertStaged(
  client: pg.PoolClient,
  appendLock: number,
): Promise<{ base: number; ords: Set<number> }> {
  try {
    const results = (await client.query(
      `SAVEPOINT all_new; SELECT pg_advisory_xact_lock(${appendLock}); ${ALL_NEW}; COMMIT`,
    )) as unknown as pg.QueryResult[];
    return { base: (results[2]!.rows[0] as { base: number }).base, ords: new Set() };
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
  }
  const results = (await client.query(
    `ROLLBACK TO SAVEPOINT all_new; SET LOCAL enable_mergejoin = off;
     SELECT pg_advisory_xact_lock(${appendLock}); ${SOME_KNOWN}; COMMIT`,
  )) as unknown as pg.QueryResult[];
  const answer = results[3]!.rows[0] as { base: number; known: number[] };
  return { base: answer.base, ords: new Set(answer.known) };
}

function keyText(e: NewEvent): string {
  return `${e.source}\u0000${ceSourceOf(e)}\u0000${e.id}`;
}

function* csvRows(
  events: readonly NewEvent[],
  staged: readonly number[],
  hashes: readonly number[],
): Generator<string> {
  let out = '';
  for (let ord = 0; ord < staged.length; ord++) {
    const i = staged[ord]!;
    const e = events[i]!;
    const ceSource = ceSourceOf(e);
    out += `${ord},${hashes[i]},${q(e.source)},${q(e.id)},${q(e.type)},${e.subject === null ? '' : q(e.subject)},${e.time},${e.receivedAt},${q(e.data)},${ceSource === e.source ? '""' : q(ceSource)},${e.ceAttributes ? q(e.ceAttributes) : ''}\n`;
    // Chunks of a few hundred rows: a longer string's length is read only when it is yielded.
    if ((ord & 255) === 255) {
      yield out;
      out = '';
    }
  }
  if (out) yield out;
}

// CSV quoting: always quoted, so an empty string stays a string (only an unquoted empty field is NULL).
function q(s: string): string {
  return s.includes('"') ? `"${s.replaceAll('"', '""')}"` : `"${s}"`;
}
