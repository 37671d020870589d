import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failpoint } from '../core/failpoint.js';
import { parseDuration } from '../core/time.js';
import { Params } from '../store/sql-params.js';
import type { Row, Store } from '../store/store.js';
import type { MatchBroker } from './broker.js';
import type { MatchingConfig } from './config.js';

/** What one export run did. */
export interface ExportRun {
  readonly runId: string | null;
  readonly exported: number;
  /** Exports found published (in the ledger) but not yet recorded: a previous run stopped in between. */
  readonly reconciled: number;
  readonly failed: number;
  readonly file: string | null;
}

export const MATCH_SELECT = `
  SELECT m.id, m.match_type, m.decided_by, m.scheme, m.candidates, m.forced_by, m.matched_at,
         p.id AS p_id, p.provider AS p_provider, p.transaction_id AS p_transaction_id, p.feed_type AS p_feed_type,
         p.merchant_id AS p_merchant_id, p.settlement_key AS p_settlement_key, CAST(p.tx_time AS VARCHAR) AS p_time,
         p.has_time AS p_has_time, CAST(p.amount AS VARCHAR) AS p_amount, p.currency AS p_currency,
         p.card_token AS p_card_token, p.first_six AS p_first_six, p.last_four AS p_last_four,
         p.auth_code AS p_auth_code, p.approval_code AS p_approval_code, p.match_group AS p_match_group,
         s.id AS s_id, s.transaction_id AS s_transaction_id, CAST(s.tx_time AS VARCHAR) AS s_time,
         s.has_time AS s_has_time, CAST(s.amount AS VARCHAR) AS s_amount, s.currency AS s_currency,
         s.card_token AS s_card_token, s.first_six AS s_first_six, s.last_four AS s_last_four,
         s.auth_code AS s_auth_code, s.match_group AS s_match_group
    FROM match_matches m
    JOIN match_payments p ON p.id = m.payment_id
    LEFT JOIN match_scheme_txs s ON s.id = m.scheme_tx_id`;

/** A match as exported and as the API shows it: the matched id and the joined record. */
export function matchRecord(r: Row): Record<string, unknown> {
  const side = (prefix: string) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (!k.startsWith(prefix)) continue;
      const name = k.slice(prefix.length);
      out[name === 'id' ? 'id' : name] =
        name === 'amount' && typeof v === 'string'
          ? money(v)
          : name === 'time' && typeof v === 'string'
            ? v.replace(' ', 'T')
            : v;
    }
    return out;
  };
  return {
    matched_transaction_id: Number(r.id),
    match_type: r.match_type,
    scheme: r.scheme,
    decided_by: JSON.parse(String(r.decided_by)),
    candidates: Number(r.candidates),
    ...(r.forced_by ? { forced_by: r.forced_by } : {}),
    matched_at: r.matched_at instanceof Date ? r.matched_at.toISOString() : r.matched_at,
    payment: side('p_'),
    scheme_transaction: r.s_id === null ? null : side('s_'),
  };
}

function money(v: string): string {
  return v.replace(/(\.\d\d)0$/, '$1');
}

/**
 * The outbox: every match has an export row written in the matching transaction; a run publishes the due
 * ones and records them as EXPORTED. Exactly once across crashes: before publishing, the run reads the ledger
 * (every published export is also routed there) and records what a stopped run had published but not
 * recorded, so it is not published again. A failed publish is retried with exponential backoff and ends as
 * EXPORT_FAILED after the configured number of tries, until retried by hand.
 */
export class Exporter {
  constructor(
    private readonly store: Store,
    private readonly config: MatchingConfig,
    /** The connected broker; undefined while it is down (or when none is configured). */
    private readonly broker: () => MatchBroker | undefined,
    private readonly baseDir: string,
  ) {}

  private get usesBroker(): boolean {
    return this.config.rabbitmq !== undefined;
  }

  /** Where export files go: the configured directory, or (with no broker) ./data/match-exports. */
  get dir(): string | null {
    const d = this.config.export.dir ?? (this.usesBroker ? null : './data/match-exports');
    return d ? path.resolve(this.baseDir, d) : null;
  }

  async run(now = new Date()): Promise<ExportRun> {
    // One connection for the whole run: the ledger read before publishing must be the same connection's as
    // the publish. (A run that reconciled nothing on a lost connection and then published on its successor
    // sent again what the lost one had published: the test saw a batch twice.)
    const broker = this.usesBroker ? this.broker() : undefined;
    // While RabbitMQ is down the exports wait for it: that is no failed attempt of theirs.
    if (this.usesBroker && !broker?.connected)
      return { runId: null, exported: 0, reconciled: 0, failed: 0, file: null };
    const reconciled = await this.reconcile(broker, now);
    const rows = await this.store.query(
      `${MATCH_SELECT} JOIN match_exports x ON x.match_id = m.id
        WHERE x.status = 'PENDING' AND x.next_attempt_at <= $1 ORDER BY m.id LIMIT $2`,
      [now, this.config.export.batch],
    );
    if (rows.length === 0) return { runId: null, exported: 0, reconciled, failed: 0, file: null };
    const runId = `${now.toISOString().replace(/[-:.]/g, '')}-${rows[0]!.id}`;
    const messages = rows.map((r) => ({ id: Number(r.id), body: JSON.stringify(matchRecord(r)) }));
    const ids = messages.map((m) => m.id);
    try {
      if (broker) {
        await broker.publishExports(messages);
        failpoint('match.export.published'); // published, not yet recorded: the ledger must tell
      }
      let file: string | null = null;
      if (this.dir) {
        await mkdir(this.dir, { recursive: true });
        file = path.join(this.dir, `export-${runId}.ndjson`);
        await writeFile(file, messages.map((m) => `${m.body}\n`).join(''));
      }
      const p = new Params(3);
      await this.store.exec(
        `UPDATE match_exports SET status = 'EXPORTED', exported_at = $1, run_id = $2, last_error = NULL
          WHERE match_id IN (${p.list(ids)}) AND status <> 'EXPORTED'`,
        [now, runId, ...p.values],
      );
      await this.reconcile(broker, now);
      return { runId, exported: messages.length, reconciled, failed: 0, file };
    } catch (err) {
      // The connection was lost under the publish: which of them RabbitMQ routed, the ledger says once a new
      // connection reads it (the next run reconciles first); the rest stay pending, with no attempt counted.
      if (broker && !broker.connected) return { runId, exported: 0, reconciled, failed: 0, file: null };
      // Some may have been published before the failure: the ledger has those, the rest wait for a retry.
      await this.reconcile(broker, now).catch(() => 0);
      const failed = await this.recordFailure(ids, (err as Error).message, now);
      return { runId, exported: 0, reconciled, failed, file: null };
    }
  }

  private async reconcile(broker: MatchBroker | undefined, now: Date): Promise<number> {
    if (!broker?.connected) return 0;
    let recorded = 0;
    await broker.drainLedger(async (ids) => {
      if (ids.length === 0) return;
      const p = new Params(2);
      const rows = await this.store.query(
        `UPDATE match_exports SET status = 'EXPORTED', exported_at = $1, run_id = coalesce(run_id, 'reconciled'), last_error = NULL
          WHERE match_id IN (${p.list(ids.map((i) => Math.trunc(i)))}) AND status <> 'EXPORTED' RETURNING match_id`,
        [now, ...p.values],
      );
      recorded += rows.length;
    });
    return recorded;
  }

  private async recordFailure(ids: readonly number[], error: string, now: Date): Promise<number> {
    const base = parseDuration(this.config.export.backoff);
    const max = this.config.export.maxAttempts;
    const p = new Params();
    const rows = await this.store.query(
      `SELECT match_id, attempts FROM match_exports WHERE match_id IN (${p.list(ids)}) AND status = 'PENDING'`,
      p.values,
    );
    for (const r of rows) {
      const attempts = Number(r.attempts) + 1;
      const next = new Date(now.getTime() + base * 2 ** (attempts - 1));
      await this.store.exec(
        'UPDATE match_exports SET attempts = $1, next_attempt_at = $2, last_error = $3, status = $4 WHERE match_id = $5',
        [attempts, next, error.slice(0, 1000), attempts >= max ? 'EXPORT_FAILED' : 'PENDING', r.match_id],
      );
    }
    return rows.length;
  }

  /** Puts failed exports (these, or all) back to pending with fresh tries. */
  async retry(matchIds?: readonly number[]): Promise<number> {
    const p = new Params(2);
    const which = matchIds?.length ? ` AND match_id IN (${p.list(matchIds.map((i) => Math.trunc(i)))})` : '';
    const rows = await this.store.query(
      `UPDATE match_exports SET status = 'PENDING', attempts = 0, next_attempt_at = $1
        WHERE status = 'EXPORT_FAILED'${which} RETURNING match_id`,
      [new Date(), ...p.values],
    );
    return rows.length;
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.store.query('SELECT status, count(*) AS n FROM match_exports GROUP BY status');
    return Object.fromEntries(rows.map((r) => [String(r.status), Number(r.n)]));
  }
}
