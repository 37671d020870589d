import { Params } from '../store/sql-params.js';
import type { Row, SqlClient, Store } from '../store/store.js';
import type { MatchingConfig } from './config.js';
import { schemeRulesSchema } from './config.js';
import { MATCH_SELECT, matchRecord } from './exporter.js';
import { agreeing, candidatePairs, ruleScore } from './rules.js';
import type { Side } from './transaction.js';

export const STATUSES = ['pending', 'matched', 'ambiguous', 'unmatched', 'unknown_merchant'] as const;

/** A transaction list filter. */
export interface TransactionFilter {
  readonly side: Side;
  readonly status?: string;
  readonly scheme?: string;
  readonly day?: string;
  readonly limit?: number;
  readonly offset?: number;
}

const PAYMENT_COLUMNS = `id, provider, transaction_id, feed_type, merchant_id, settlement_key,
  CAST(tx_time AS VARCHAR) AS time, has_time, CAST(amount AS VARCHAR) AS amount, currency, card_token, first_six,
  last_four, auth_code, approval_code, scheme, status, match_group, imported_at`;
const SCHEME_COLUMNS = `id, scheme, transaction_id, CAST(tx_time AS VARCHAR) AS time, has_time,
  CAST(amount AS VARCHAR) AS amount, currency, card_token, first_six, last_four, auth_code, status, match_group,
  imported_at`;

/** The read side of matching: what the API, the CLI and the dashboard show. */
export class MatchQueries {
  constructor(
    private readonly store: Store,
    private readonly config: MatchingConfig,
  ) {}

  /** Transactions by side, scheme, calendar day and status. */
  async counts(filter: { scheme?: string; from?: string; to?: string } = {}): Promise<Row[]> {
    const p = new Params();
    const where: string[] = [];
    if (filter.scheme) where.push(`scheme = ${p.add(filter.scheme)}`);
    if (filter.from) where.push(`CAST(tx_time AS DATE) >= CAST(${p.add(filter.from)} AS DATE)`);
    if (filter.to) where.push(`CAST(tx_time AS DATE) <= CAST(${p.add(filter.to)} AS DATE)`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.store.query(
      `SELECT side, scheme, day, status, n FROM (
         SELECT 'payment' AS side, coalesce(scheme, '(unknown)') AS scheme, CAST(CAST(tx_time AS DATE) AS VARCHAR) AS day,
                status, count(*) AS n FROM match_payments ${w} GROUP BY 1, 2, 3, 4
         UNION ALL
         SELECT 'scheme', scheme, CAST(CAST(tx_time AS DATE) AS VARCHAR), status, count(*) FROM match_scheme_txs ${w}
          GROUP BY 1, 2, 3, 4) c
       ORDER BY day DESC, scheme, side, status`,
      p.values,
    );
    return rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  /** Totals by status per side. */
  async totals(): Promise<Record<string, Record<string, number>>> {
    const rows = await this.store.query(
      `SELECT 'payment' AS side, status, count(*) AS n FROM match_payments GROUP BY 1, 2
       UNION ALL SELECT 'scheme', status, count(*) FROM match_scheme_txs GROUP BY 1, 2`,
    );
    const out: Record<string, Record<string, number>> = { payment: {}, scheme: {} };
    for (const r of rows) out[String(r.side)]![String(r.status)] = Number(r.n);
    return out;
  }

  async list(f: TransactionFilter): Promise<{ total: number; transactions: Row[] }> {
    const p = new Params();
    const where: string[] = [];
    if (f.status) where.push(`status = ${p.add(f.status)}`);
    if (f.scheme) where.push(`scheme = ${p.add(f.scheme)}`);
    if (f.day) where.push(`CAST(tx_time AS DATE) = CAST(${p.add(f.day)} AS DATE)`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const table = f.side === 'payment' ? 'match_payments' : 'match_scheme_txs';
    const [{ n }] = (await this.store.query(`SELECT count(*) AS n FROM ${table} ${w}`, [...p.values])) as [
      { n: number },
    ];
    const rows = await this.store.query(
      `SELECT ${f.side === 'payment' ? PAYMENT_COLUMNS : SCHEME_COLUMNS} FROM ${table} ${w}
        ORDER BY tx_time DESC, id DESC LIMIT ${p.add(clamp(f.limit ?? 50, 1, 1000))} OFFSET ${p.add(clamp(f.offset ?? 0, 0, 1e9))}`,
      p.values,
    );
    return { total: Number(n), transactions: rows.map(tidy) };
  }

  /**
   * The best candidates of payments (whatever their status), scored by their scheme's rules: the pending
   * scheme transactions they could match, best first. What the ambiguous and unmatched lists show.
   */
  async candidates(paymentIds: readonly number[], perPayment = 5): Promise<Map<number, Row[]>> {
    const out = new Map<number, Row[]>();
    if (paymentIds.length === 0) return out;
    const ids = paymentIds.map((i) => Math.trunc(i));
    const p = new Params();
    const schemes = await this.store.query(
      `SELECT DISTINCT scheme FROM match_payments WHERE id IN (${p.list(ids)}) AND scheme IS NOT NULL`,
      p.values,
    );
    const d = this.store.dialect;
    for (const { scheme } of schemes) {
      const def = this.config.schemes[String(scheme)] ?? schemeRulesSchema.parse({});
      const scores = def.rules.map((r, i) => `${ruleScore(d, r)} AS r${i}`);
      const order = def.rules.map((_, i) => `r${i}`);
      // Best first: candidates whose rules agree, then by the rules' scores; disagreeing ones are shown
      // (agrees: false) because a near miss is what a person redressing a transaction wants to see.
      const q = new Params(2);
      const rows = await this.store.query(
        `SELECT * FROM (
           SELECT a.*, row_number() OVER (PARTITION BY payment_id
                    ORDER BY CASE WHEN agrees THEN 0 ELSE 1 END, ${[...order, 'id'].join(', ')}) AS rn
             FROM (
               SELECT c.*, ${agreeing(def.rules)} AS agrees FROM (
                 SELECT p.id AS payment_id, s.id, s.transaction_id, CAST(s.tx_time AS VARCHAR) AS time, s.has_time,
                        CAST(s.amount AS VARCHAR) AS amount, s.currency, s.first_six, s.last_four, s.auth_code
                        ${scores.length ? `, ${scores.join(', ')}` : ''}
                   ${candidatePairs(def, `p.id IN (${q.list(ids)}) AND p.scheme = $1 AND s.scheme = $1`)}) c) a) z
          WHERE rn <= ${q.add(clamp(perPayment, 1, 50))} ORDER BY payment_id, rn`,
        [scheme, ...q.values],
      );
      for (const r of rows) {
        const pid = Number(r.payment_id);
        const scoresOf = Object.fromEntries(def.rules.map((rule, i) => [rule, Number(r[`r${i}`])]));
        const { payment_id: _p, rn: _rn, ...rest } = r;
        for (let i = 0; i < def.rules.length; i++) delete rest[`r${i}`];
        const list = out.get(pid) ?? [];
        list.push({ ...tidy(rest), scores: scoresOf });
        out.set(pid, list);
      }
    }
    return out;
  }

  /** One transaction: its fields, its raw record, its match (with the rules that decided it) or candidates. */
  async transaction(side: Side, id: number): Promise<Row | null> {
    const table = side === 'payment' ? 'match_payments' : 'match_scheme_txs';
    const [row] = await this.store.query(
      `SELECT ${side === 'payment' ? PAYMENT_COLUMNS : SCHEME_COLUMNS} FROM ${table} WHERE id = $1`,
      [id],
    );
    if (!row) return null;
    const [event] = await this.store.query(
      `SELECT source, id, ${this.store.dialect.jsonText('data', ['raw'])} AS raw_text FROM events WHERE seq = $1`,
      [id],
    );
    const mids =
      side === 'scheme'
        ? (
            await this.store.query('SELECT merchant_id FROM match_scheme_mids WHERE scheme_tx_id = $1', [id])
          ).map((r) => String(r.merchant_id))
        : undefined;
    const [m] = await this.store.query(
      `${MATCH_SELECT} LEFT JOIN match_exports x ON x.match_id = m.id
        WHERE m.${side === 'payment' ? 'payment_id' : 'scheme_tx_id'} = $1`,
      [id],
    );
    const out: Row = { ...tidy(row), side, ...(mids ? { merchant_ids: mids } : {}) };
    out.raw = event?.raw_text ? (JSON.parse(String(event.raw_text)) as Row) : null;
    out.event = event ? { source: event.source ?? null, id: event.id ?? null, seq: id } : null;
    if (m) {
      const [x] = await this.store.query(
        'SELECT status, attempts, last_error, exported_at, run_id FROM match_exports WHERE match_id = $1',
        [m.id],
      );
      out.match = { ...matchRecord(m), export: x ? tidy(x) : null } as Row;
    } else if (side === 'payment') {
      out.candidates = (await this.candidates([id])).get(id) ?? [];
    }
    return out;
  }

  /** Exports (of a status, or all), newest first, with the transactions each carries. */
  async exports(status?: string, limit = 100, offset = 0): Promise<{ total: number; exports: Row[] }> {
    const p = new Params();
    const w = status ? `WHERE x.status = ${p.add(status)}` : '';
    const [{ n }] = (await this.store.query(`SELECT count(*) AS n FROM match_exports x ${w}`, [
      ...p.values,
    ])) as [{ n: number }];
    const rows = await this.store.query(
      `SELECT x.match_id, m.payment_id, m.scheme_tx_id, m.scheme, x.status, x.attempts, x.next_attempt_at,
              x.last_error, x.exported_at, x.run_id
         FROM match_exports x JOIN match_matches m ON m.id = x.match_id ${w}
        ORDER BY x.match_id DESC LIMIT ${p.add(clamp(limit, 1, 1000))} OFFSET ${p.add(clamp(offset, 0, 1e9))}`,
      p.values,
    );
    return { total: Number(n), exports: rows.map(tidy) };
  }

  /** The last time each importer, matcher and exporter did its work. */
  async checkins(): Promise<Row[]> {
    return (
      await this.store.query('SELECT component, checked_in_at, detail FROM match_checkins ORDER BY component')
    ).map(tidy);
  }
}

function tidy(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) {
    if (v instanceof Date) out[k] = v.toISOString();
    else if (k === 'time' && typeof v === 'string') out[k] = v.replace(' ', 'T');
    else if (k === 'amount' && typeof v === 'string') out[k] = v.replace(/(\.\d\d)0$/, '$1');
    else out[k] = v;
  }
  return out;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.trunc(Number.isFinite(n) ? n : lo)));
}

/** Records that a component did its work now (shown in /status). */
export async function checkIn(db: SqlClient, component: string, detail: unknown): Promise<void> {
  await db.exec(
    `INSERT INTO match_checkins (component, checked_in_at, detail) VALUES ($1, $2, $3)
     ON CONFLICT (component) DO UPDATE SET checked_in_at = excluded.checked_in_at, detail = excluded.detail`,
    [component, new Date(), JSON.stringify(detail)],
  );
}
