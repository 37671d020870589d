import type { Store } from '../store/store.js';
import { EVENT_TYPES } from './transaction.js';

/** What one fold added. */
export interface FoldResult {
  readonly payments: number;
  readonly schemeTransactions: number;
  /** Schemes with new transactions: what the matching worker is asked to look at. */
  readonly schemes: string[];
  readonly groups: string[];
}

// The event data keys each table is folded from, and how each becomes a typed column.
const CASTS: Record<string, (x: string) => string> = {
  time: (x) => `CAST(${x} AS TIMESTAMP) AS tx_time`,
  has_time: (x) => `${x} = 'true' AS has_time`,
  amount: (x) => `CAST(${x} AS DECIMAL(18,3)) AS amount`,
};
const COMMON = [
  'transaction_id',
  'time',
  'has_time',
  'amount',
  'currency',
  'card_token',
  'first_six',
  'last_four',
  'auth_code',
  'match_group',
];
const P_KEYS = ['provider', 'feed_type', 'merchant_id', 'settlement_key', 'approval_code', ...COMMON];
const S_KEYS = ['scheme', ...COMMON];

function pick(keys: readonly string[]): string {
  return keys.map((k, i) => (CASTS[k] ?? ((x: string) => `${x} AS ${k}`))(`j[${i + 1}]`)).join(', ');
}

const EMPTY: FoldResult = { payments: 0, schemeTransactions: 0, schemes: [], groups: [] };

/**
 * Folds transaction events committed since the last fold into the typed matching tables, in one transaction
 * with the folded seq: set-based SQL, one statement per table, keyed by the event's seq. A transaction
 * stored twice (the same id from two sources) is kept once; a payment whose merchant id is not in the
 * reference data is kept as `unknown_merchant` and resolved when the identifier is added.
 */
export class TransactionFolder {
  constructor(private readonly store: Store) {}

  async foldedSeq(): Promise<number> {
    const rows = await this.store.query("SELECT value FROM match_state WHERE name = 'folded_seq'");
    return Number(rows[0]?.value ?? 0);
  }

  async fold(): Promise<FoldResult> {
    await this.store.exec(
      "INSERT INTO match_state (name, value) VALUES ('folded_seq', 0) ON CONFLICT (name) DO NOTHING",
    );
    const from = await this.foldedSeq();
    const to = await this.store.lastSeq();
    if (to <= from) return EMPTY;
    const d = this.store.dialect;
    const range = `seq > ${Math.trunc(from)} AND seq <= ${Math.trunc(to)}`;
    const now = new Date();
    try {
      const result = await this.store.transaction(async (tx) => {
        // The folded seq moves first, and only from the value read: of two workers folding at once, one wins.
        const moved = await tx.query(
          "UPDATE match_state SET value = $1 WHERE name = 'folded_seq' AND value = $2 RETURNING value",
          [to, from],
        );
        if (moved.length === 0) throw new Error('raced');
        await tx.exec(
          `INSERT INTO match_payments (id, provider, transaction_id, feed_type, merchant_id, settlement_key, tx_time,
             has_time, amount, currency, card_token, first_six, last_four, auth_code, approval_code, scheme, status,
             match_group, imported_at)
           SELECT DISTINCT ON (e.provider, e.feed_type, e.transaction_id) e.seq, e.provider, e.transaction_id,
             e.feed_type, e.merchant_id, e.settlement_key, e.tx_time, e.has_time, e.amount, e.currency, e.card_token,
             e.first_six, e.last_four, e.auth_code, e.approval_code, m.scheme,
             CASE WHEN m.scheme IS NULL THEN 'unknown_merchant' ELSE 'pending' END, e.match_group, $1
             FROM (SELECT seq, ${pick(P_KEYS)} FROM (SELECT seq, ${d.jsonTextList('data', P_KEYS)} AS j
                     FROM events WHERE ${range} AND type = ${d.literal(EVENT_TYPES.payment)}) raw) e
             LEFT JOIN (SELECT identifier, provider, min(scheme) AS scheme FROM match_merchants
                         GROUP BY identifier, provider) m
               ON m.identifier = e.merchant_id AND m.provider = e.provider
            ORDER BY e.provider, e.feed_type, e.transaction_id, e.seq
           ON CONFLICT DO NOTHING`,
          [now],
        );
        await tx.exec(
          `INSERT INTO match_scheme_txs (id, scheme, transaction_id, tx_time, has_time, amount, currency, card_token,
             first_six, last_four, auth_code, status, match_group, imported_at)
           SELECT DISTINCT ON (e.scheme, e.transaction_id) e.seq, e.scheme, e.transaction_id, e.tx_time, e.has_time,
             e.amount, e.currency, e.card_token, e.first_six, e.last_four, e.auth_code, 'pending', e.match_group, $1
             FROM (SELECT seq, ${pick(S_KEYS)} FROM (SELECT seq, ${d.jsonTextList('data', S_KEYS)} AS j
                     FROM events WHERE ${range} AND type = ${d.literal(EVENT_TYPES.scheme)}) raw) e
            ORDER BY e.scheme, e.transaction_id, e.seq
           ON CONFLICT DO NOTHING`,
          [now],
        );
        const ids = `id > ${Math.trunc(from)} AND id <= ${Math.trunc(to)}`;
        await tx.exec(
          `INSERT INTO match_scheme_mids (scheme_tx_id, merchant_id)
             SELECT seq, ${d.jsonTextElements('data', ['merchant_ids'])}
               FROM events WHERE ${range} AND type = ${d.literal(EVENT_TYPES.scheme)}
                AND seq IN (SELECT id FROM match_scheme_txs WHERE ${ids})`,
        );
        // What this fold added: the rows in its seq range (ids are seqs).
        const added = await tx.query(
          `SELECT 'payment' AS side, scheme, match_group, count(*) AS n FROM match_payments WHERE ${ids} GROUP BY 1, 2, 3
           UNION ALL
           SELECT 'scheme', scheme, match_group, count(*) FROM match_scheme_txs WHERE ${ids} GROUP BY 1, 2, 3`,
        );
        const schemes = new Set<string>();
        const groups = new Set<string>();
        let payments = 0;
        let schemeTransactions = 0;
        for (const r of added) {
          if (r.side === 'payment') payments += Number(r.n);
          else schemeTransactions += Number(r.n);
          if (r.scheme) schemes.add(String(r.scheme));
          if (r.match_group) groups.add(String(r.match_group));
        }
        return { payments, schemeTransactions, schemes: [...schemes], groups: [...groups] };
      });
      // The matcher's joins need statistics of what was just added (PostgreSQL planned them as if empty).
      await this.store.analyzeAfterGrowth('match_payments', result.payments);
      await this.store.analyzeAfterGrowth('match_scheme_txs', result.schemeTransactions);
      await this.store.analyzeAfterGrowth('match_scheme_mids', result.schemeTransactions);
      return result;
    } catch (err) {
      if ((err as Error).message === 'raced' || /conflict/i.test((err as Error).message)) return EMPTY;
      throw err;
    }
  }
}
