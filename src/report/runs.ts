import type { Migration, SqlClient } from '../store/store.js';

export const REPORT_MIGRATIONS: readonly Migration[] = [
  {
    component: 'reports',
    version: 1,
    name: 'create report runs',
    up: `CREATE TABLE IF NOT EXISTS panoramix_report_runs (
           id TEXT PRIMARY KEY,
           report TEXT NOT NULL,
           scheduled_for TIMESTAMPTZ,
           started_at TIMESTAMPTZ NOT NULL,
           finished_at TIMESTAMPTZ,
           window_start TIMESTAMPTZ NOT NULL,
           window_end TIMESTAMPTZ NOT NULL,
           params TEXT NOT NULL,
           status TEXT NOT NULL,
           rows BIGINT,
           file TEXT,
           bytes BIGINT,
           error TEXT)`,
  },
];

/** One run of a report, as recorded. */
export interface RunRecord {
  readonly id: string;
  readonly report: string;
  readonly scheduledFor: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly params: Record<string, unknown>;
  readonly status: 'running' | 'ok' | 'failed' | 'skipped';
  readonly rows: number | null;
  readonly file: string | null;
  readonly bytes: number | null;
  readonly error: string | null;
}

export async function listRuns(db: SqlClient, report: string, limit = 50): Promise<RunRecord[]> {
  const rows = await db.query(
    'SELECT * FROM panoramix_report_runs WHERE report = $1 ORDER BY started_at DESC LIMIT $2',
    [report, limit],
  );
  return rows.map(toRecord);
}

export async function getRun(db: SqlClient, id: string): Promise<RunRecord | undefined> {
  const rows = await db.query('SELECT * FROM panoramix_report_runs WHERE id = $1', [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** The latest scheduled time a report was run (or skipped) for: where catching up starts. */
export async function lastScheduled(db: SqlClient, report: string): Promise<Date | null> {
  const rows = await db.query('SELECT max(scheduled_for) AS t FROM panoramix_report_runs WHERE report = $1', [
    report,
  ]);
  return (rows[0]?.t as Date | null) ?? null;
}

function iso(v: unknown): string | null {
  return v instanceof Date ? v.toISOString() : null;
}

function toRecord(r: Record<string, unknown>): RunRecord {
  return {
    id: r.id as string,
    report: r.report as string,
    scheduledFor: iso(r.scheduled_for),
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    windowStart: iso(r.window_start)!,
    windowEnd: iso(r.window_end)!,
    params: JSON.parse(r.params as string) as Record<string, unknown>,
    status: r.status as RunRecord['status'],
    rows: r.rows === null ? null : Number(r.rows),
    file: (r.file as string | null) ?? null,
    bytes: r.bytes === null ? null : Number(r.bytes),
    error: (r.error as string | null) ?? null,
  };
}
