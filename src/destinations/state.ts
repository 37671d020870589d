import { Params } from '../store/sql-params.js';
import type { Row, SqlClient, Store } from '../store/store.js';

/** A destination's durable state, as the store holds it. */
export interface DestinationState {
  readonly name: string;
  /** Every event at or below this seq has been delivered, dead-lettered or filtered out. */
  readonly cursor: number;
  readonly paused: boolean;
  readonly pausedReason: string | null;
  /** When the current run of failures began (null while delivering): auto-pause counts from here. */
  readonly failingSince: Date | null;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly lastDeliveredAt: Date | null;
  /** A replay in progress: it started from this cursor and is done when the cursor reaches replayTo. */
  readonly replayFrom: number | null;
  readonly replayTo: number | null;
  /** Dead letters were asked to be sent again (at this time); cleared when none is left to send. */
  readonly redeliverRequestedAt: Date | null;
}

/** An event the receiver refused (a 4xx other than 408 and 429), with what it answered. */
export interface DeadLetter {
  readonly destination: string;
  readonly seq: number;
  readonly source: string;
  readonly eventId: string;
  readonly status: number;
  readonly response: string;
  readonly failedAt: Date;
  /** Asked to be sent again at this time, and not sent yet. */
  readonly requestedAt: Date | null;
}

const COLUMNS = `name, cursor_seq, paused, paused_reason, failing_since, last_error, last_status, last_delivered_at,
  replay_from, replay_to, redeliver_requested_at`;

/**
 * Reads and changes destinations' state. Every cursor move is a compare-and-set on the cursor it started
 * from, so a replay or a pause made elsewhere (the CLI, another process) is never overwritten by a loop that
 * was mid-delivery: its move fails and it reads the state again.
 */
export class DestinationStates {
  // Writes to the state table go one at a time in this process: DuckDB fails one of two transactions that
  // update the same row at once ("Conflict on tuple deletion") where PostgreSQL would make it wait, and a
  // loop and an operator's pause do update the same row.
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.writes.then(fn, fn);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /** Creates the state of a destination seen for the first time, its cursor at startSeq. */
  async ensure(name: string, startSeq: number): Promise<void> {
    await this.serial(() =>
      this.store.exec(
        `INSERT INTO panoramix_destinations (name, cursor_seq, paused, updated_at) VALUES ($1, $2, false, $3)
         ON CONFLICT (name) DO NOTHING`,
        [name, startSeq, new Date()],
      ),
    );
  }

  async get(name: string): Promise<DestinationState | undefined> {
    const rows = await this.store.query(`SELECT ${COLUMNS} FROM panoramix_destinations WHERE name = $1`, [
      name,
    ]);
    return rows[0] ? stateOf(rows[0]) : undefined;
  }

  async all(): Promise<DestinationState[]> {
    const rows = await this.store.query(`SELECT ${COLUMNS} FROM panoramix_destinations ORDER BY name`);
    return rows.map(stateOf);
  }

  /** Moves the cursor from `from` to `to` after a delivery; false when someone moved it meanwhile. */
  async advance(name: string, from: number, to: number, status: number | null, now: Date): Promise<boolean> {
    return this.serial(() => this.move(this.store, name, from, to, status, now));
  }

  /** Records refused events and moves the cursor past them, in one transaction. */
  async deadLetter(
    name: string,
    from: number,
    to: number,
    letters: readonly Omit<DeadLetter, 'destination' | 'failedAt' | 'requestedAt'>[],
    now: Date,
  ): Promise<boolean> {
    return this.serial(() =>
      this.store.transaction(async (tx) => {
        for (const l of letters) {
          await tx.exec(
            `INSERT INTO panoramix_destination_dead_letters (destination, seq, source, event_id, status, response, failed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (destination, seq) DO UPDATE SET status = excluded.status, response = excluded.response,
               failed_at = excluded.failed_at`,
            [name, l.seq, l.source, l.eventId, l.status, l.response, now],
          );
        }
        return this.move(tx, name, from, to, letters[0]?.status ?? null, now);
      }),
    );
  }

  /** Records a failed attempt; returns when the current run of failures began. */
  async failed(name: string, status: number | null, error: string, now: Date): Promise<Date> {
    const rows = await this.serial(() =>
      this.store.query(
        `UPDATE panoramix_destinations SET failing_since = coalesce(failing_since, $1), last_error = $2,
           last_status = $3, updated_at = $1 WHERE name = $4 RETURNING failing_since`,
        [now, error.slice(0, 2000), status, name],
      ),
    );
    return rows[0] ? toDate(rows[0].failing_since)! : now;
  }

  async pause(name: string, reason: string): Promise<boolean> {
    return this.update(name, 'paused = true, paused_reason = $2', [reason]);
  }

  /** Resumes a paused destination; its failures count afresh toward the next auto-pause. */
  async resume(name: string): Promise<boolean> {
    return this.update(name, 'paused = false, paused_reason = NULL, failing_since = NULL', []);
  }

  /** Sets the cursor back (or forward) for a replay that ends when the cursor reaches `to`. */
  async rewind(name: string, cursor: number, to: number): Promise<boolean> {
    return this.update(name, 'cursor_seq = $2, replay_from = $2, replay_to = $3', [cursor, to]);
  }

  async deadLetters(name: string, limit = 100): Promise<DeadLetter[]> {
    return this.letters('ORDER BY seq DESC', name, limit);
  }

  private async letters(tail: string, name: string, limit: number): Promise<DeadLetter[]> {
    const rows = await this.store.query(
      `SELECT destination, seq, source, event_id, status, response, failed_at, requested_at
         FROM panoramix_destination_dead_letters WHERE destination = $1 ${tail} LIMIT $2`,
      [name, limit],
    );
    return rows.map((r) => ({
      destination: String(r.destination),
      seq: Number(r.seq),
      source: String(r.source),
      eventId: String(r.event_id),
      status: Number(r.status),
      response: String(r.response),
      failedAt: toDate(r.failed_at)!,
      requestedAt: toDate(r.requested_at),
    }));
  }

  /** Asks for dead letters (these seqs, or all) to be sent again; returns how many. */
  async requestRedelivery(name: string, seqs: readonly number[] | undefined, now: Date): Promise<number> {
    return this.serial(() =>
      this.store.transaction(async (tx) => {
        const which = seqs ? ` AND seq IN (${placeholders(seqs, 3)})` : '';
        const rows = await tx.query(
          `UPDATE panoramix_destination_dead_letters SET requested_at = $2 WHERE destination = $1${which} RETURNING seq`,
          [name, now, ...(seqs ?? [])],
        );
        if (rows.length > 0)
          await tx.exec('UPDATE panoramix_destinations SET redeliver_requested_at = $2 WHERE name = $1', [
            name,
            now,
          ]);
        return rows.length;
      }),
    );
  }

  /** The dead letters waiting to be sent again, oldest seq first. */
  async requestedDeadLetters(name: string, limit: number): Promise<DeadLetter[]> {
    return this.letters('AND requested_at IS NOT NULL ORDER BY seq', name, limit);
  }

  /** None is left to send: clears the request, unless a newer one came meanwhile. */
  async redelivered(name: string, requestedAt: Date): Promise<void> {
    await this.serial(() =>
      this.store.exec(
        'UPDATE panoramix_destinations SET redeliver_requested_at = NULL WHERE name = $1 AND redeliver_requested_at <= $2',
        [name, requestedAt],
      ),
    );
  }

  /** Dead letters the receiver has now accepted (or whose events are no longer stored): removed. */
  async dropDeadLetters(name: string, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.serial(() =>
      this.store.exec(
        `DELETE FROM panoramix_destination_dead_letters WHERE destination = $1 AND seq IN (${placeholders(seqs, 2)})`,
        [name, ...seqs],
      ),
    );
  }

  /** Dead letters refused again: kept with the new answer, no longer requested. */
  async refusedAgain(name: string, seqs: readonly number[], status: number, response: string, now: Date) {
    await this.serial(() =>
      this.store.exec(
        `UPDATE panoramix_destination_dead_letters SET status = $2, response = $3, failed_at = $4, requested_at = NULL
          WHERE destination = $1 AND seq IN (${placeholders(seqs, 5)})`,
        [name, status, response, now, ...seqs],
      ),
    );
  }

  /** Dead letters per destination. */
  async deadLetterCounts(): Promise<Map<string, number>> {
    const rows = await this.store.query(
      'SELECT destination, count(*) AS n FROM panoramix_destination_dead_letters GROUP BY destination',
    );
    return new Map(rows.map((r) => [String(r.destination), Number(r.n)]));
  }

  private async move(
    db: SqlClient,
    name: string,
    from: number,
    to: number,
    status: number | null,
    now: Date,
  ): Promise<boolean> {
    const rows = await db.query(
      `UPDATE panoramix_destinations SET cursor_seq = $1, failing_since = NULL, last_error = NULL,
         last_status = coalesce($2, last_status), last_delivered_at = $3, updated_at = $3,
         replay_from = CASE WHEN replay_to IS NOT NULL AND $1 >= replay_to THEN NULL ELSE replay_from END,
         replay_to = CASE WHEN replay_to IS NOT NULL AND $1 >= replay_to THEN NULL ELSE replay_to END
       WHERE name = $4 AND cursor_seq = $5 RETURNING name`,
      [to, status, now, name, from],
    );
    return rows.length > 0;
  }

  private async update(name: string, set: string, params: readonly unknown[]): Promise<boolean> {
    const rows = await this.serial(() =>
      this.store.query(
        `UPDATE panoramix_destinations SET ${set}, updated_at = now() WHERE name = $1 RETURNING name`,
        [name, ...params],
      ),
    );
    return rows.length > 0;
  }
}

function stateOf(r: Row): DestinationState {
  return {
    name: String(r.name),
    cursor: Number(r.cursor_seq),
    paused: r.paused === true,
    pausedReason: r.paused_reason === null ? null : String(r.paused_reason),
    failingSince: toDate(r.failing_since),
    lastError: r.last_error === null ? null : String(r.last_error),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastDeliveredAt: toDate(r.last_delivered_at),
    replayFrom: r.replay_from === null ? null : Number(r.replay_from),
    replayTo: r.replay_to === null ? null : Number(r.replay_to),
    redeliverRequestedAt: toDate(r.redeliver_requested_at),
  };
}

// $from, $from+1, … for a list of bound values (they follow the statement's first from-1).
function placeholders(values: readonly unknown[], from: number): string {
  return new Params(from).list(values);
}

function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(String(v));
}
