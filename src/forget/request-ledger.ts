import { createHash, randomBytes } from 'node:crypto';
import type { Migration, Row, Store } from '../store/store.js';
import type { ErasureScope } from './config.js';

export const DELETION_MIGRATIONS: readonly Migration[] = [
  {
    component: 'deletions',
    version: 1,
    name: 'create deletion requests (the audit record) and suppressed subjects',
    up: `CREATE TABLE IF NOT EXISTS panoramix_deletions (
           id TEXT PRIMARY KEY, subject TEXT, subject_hash TEXT NOT NULL, source TEXT, type TEXT,
           since TIMESTAMPTZ, until TIMESTAMPTZ, suppress BOOLEAN NOT NULL, status TEXT NOT NULL,
           requested_at TIMESTAMPTZ NOT NULL, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
           counts TEXT NOT NULL, done_steps TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS panoramix_suppressions (
           subject_hash TEXT NOT NULL, source TEXT, type TEXT, deletion_id TEXT NOT NULL, since TIMESTAMPTZ NOT NULL)`,
  },
];

export type DeletionStatus = 'pending' | 'running' | 'done';

/** A deletion request as recorded: its scope, status, and the count removed from each place. */
export interface DeletionRecord {
  readonly id: string;
  /** The subject, until the request is done; then only its hash stays (for the audit and suppression). */
  readonly subject: string | null;
  readonly subjectHash: string;
  readonly source: string | null;
  readonly type: string | null;
  readonly since: string | null;
  readonly until: string | null;
  readonly suppress: boolean;
  readonly status: DeletionStatus;
  readonly requestedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Per place: how many were removed (or, for kept transactions, how many were kept). */
  readonly counts: Record<string, number>;
  readonly doneSteps: string[];
}

/** The hash a subject is known by once its request is done: SHA-256 of its text, hex. */
export function subjectHash(subject: string): string {
  return createHash('sha256').update(subject).digest('hex');
}

/**
 * The durable record of deletion requests. A request is written (pending) before it is acknowledged; each
 * step records its count when it has measured what it will remove and its completion after, so a request
 * interrupted at any point resumes where it stopped and ends with the same counts.
 */
export class RequestLedger {
  constructor(private readonly store: Store) {}

  async migrate(): Promise<void> {
    await this.store.migrate(DELETION_MIGRATIONS);
  }

  async create(scope: ErasureScope, now = new Date()): Promise<DeletionRecord> {
    const id = `del_${randomBytes(8).toString('hex')}`;
    await this.store.exec(
      `INSERT INTO panoramix_deletions (id, subject, subject_hash, source, type, since, until, suppress, status,
         requested_at, counts, done_steps) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, '{}', '[]')`,
      [
        id,
        scope.subject,
        subjectHash(scope.subject),
        scope.source ?? null,
        scope.type ?? null,
        scope.since === undefined ? null : new Date(scope.since),
        scope.until === undefined ? null : new Date(scope.until),
        scope.suppress,
        now,
      ],
    );
    return (await this.get(id))!;
  }

  async get(id: string): Promise<DeletionRecord | undefined> {
    const rows = await this.store.query('SELECT * FROM panoramix_deletions WHERE id = $1', [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** The newest requests first: the audit trail of erasures. */
  async list(limit: number): Promise<DeletionRecord[]> {
    const rows = await this.store.query(
      'SELECT * FROM panoramix_deletions ORDER BY requested_at DESC, id DESC LIMIT $1',
      [limit],
    );
    return rows.map(toRecord);
  }

  /** Requests not done, oldest first: what a process resumes at start. */
  async unfinished(): Promise<DeletionRecord[]> {
    const rows = await this.store.query(
      "SELECT * FROM panoramix_deletions WHERE status <> 'done' ORDER BY requested_at, id",
    );
    return rows.map(toRecord);
  }

  async markRunning(id: string): Promise<void> {
    await this.store.exec(
      "UPDATE panoramix_deletions SET status = 'running', started_at = coalesce(started_at, $2) WHERE id = $1",
      [id, new Date()],
    );
  }

  /** Records what a step will remove, unless an earlier attempt already did (its count stands). */
  async measured(id: string, step: string, count: number): Promise<number> {
    return this.store.transaction(async (tx) => {
      const [r] = await tx.query('SELECT counts FROM panoramix_deletions WHERE id = $1', [id]);
      const counts = JSON.parse(r!.counts as string) as Record<string, number>;
      if (counts[step] !== undefined) return counts[step]!;
      counts[step] = count;
      await tx.exec('UPDATE panoramix_deletions SET counts = $2 WHERE id = $1', [id, JSON.stringify(counts)]);
      return count;
    });
  }

  async stepDone(id: string, step: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const [r] = await tx.query('SELECT done_steps FROM panoramix_deletions WHERE id = $1', [id]);
      const done = JSON.parse(r!.done_steps as string) as string[];
      if (!done.includes(step)) done.push(step);
      await tx.exec('UPDATE panoramix_deletions SET done_steps = $2 WHERE id = $1', [
        id,
        JSON.stringify(done),
      ]);
    });
  }

  /** Every place is emptied: the subject's text leaves the record (its hash, scope and counts stay). */
  async dropSubject(id: string): Promise<void> {
    await this.store.exec('UPDATE panoramix_deletions SET subject = NULL WHERE id = $1', [id]);
  }

  /** Done: the subject's text leaves the record; its hash, scope and counts stay as the audit. */
  async markDone(id: string): Promise<void> {
    await this.store.exec(
      "UPDATE panoramix_deletions SET status = 'done', subject = NULL, finished_at = $2 WHERE id = $1",
      [id, new Date()],
    );
  }
}

function iso(v: unknown): string | null {
  return v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v);
}

function toRecord(r: Row): DeletionRecord {
  return {
    id: r.id as string,
    subject: (r.subject as string | null) ?? null,
    subjectHash: r.subject_hash as string,
    source: (r.source as string | null) ?? null,
    type: (r.type as string | null) ?? null,
    since: iso(r.since),
    until: iso(r.until),
    suppress: Boolean(r.suppress),
    status: r.status as DeletionStatus,
    requestedAt: iso(r.requested_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    counts: JSON.parse(r.counts as string) as Record<string, number>,
    doneSteps: JSON.parse(r.done_steps as string) as string[],
  };
}
