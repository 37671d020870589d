import { Mutex } from '../core/mutex.js';
import { parseDuration } from '../core/time.js';
import { Params } from '../store/sql-params.js';
import type { SqlClient, Store } from '../store/store.js';
import { type MatchingConfig, type SchemeRules, schemeRulesSchema } from './config.js';
import { MatchingError } from './errors.js';
import { checkIn } from './queries.js';
import { agreeing, candidatePairs, FILTER_RULES, ruleScore } from './rules.js';

/** What one matching pass did. */
export interface PassResult {
  readonly matched: number;
  readonly spotted: number;
  readonly ambiguous: number;
  readonly unmatched: number;
  /** Payments whose merchant id became known (and so pending) in this pass. */
  readonly resolved: number;
  readonly rounds: number;
  readonly ms: number;
}

/**
 * Takes the pass row's lock for the rest of the transaction: passes (and force-matches) of several worker
 * processes on PostgreSQL run one after another, each seeing what the last committed, instead of colliding on
 * the same transactions. (One DuckDB process already runs them one at a time.)
 */
async function serialize(tx: SqlClient): Promise<void> {
  await tx.exec("UPDATE match_state SET value = value + 1 WHERE name = 'passes'");
}

// The rounds of one pass stop when a round matches nothing; this bounds a pathological input.
const MAX_ROUNDS = 50;

/**
 * Set-based matching, per scheme, in one transaction. The candidates of every pending payment are found in
 * one join (merchant id, amount, time window) and scored by the scheme's rules; then, round by round, each
 * pair that is both the payment's single best candidate and the scheme transaction's single best payment is
 * matched, and matched rows leave the candidate table. Preferences come from one score per pair, so the best
 * remaining pair is always mutual and every round makes progress; what is left with candidates at the end is
 * tied at the top: `ambiguous`, never a guess.
 */
export class Matcher {
  private readonly lock = new Mutex();

  constructor(
    private readonly store: Store,
    private readonly config: MatchingConfig,
  ) {}

  rulesOf(scheme: string): SchemeRules {
    return this.config.schemes[scheme] ?? schemeRulesSchema.parse({});
  }

  /** Matches what is pending (in the given schemes, or all), then ages out what waited too long. */
  pass(options: { schemes?: readonly string[]; now?: Date } = {}): Promise<PassResult> {
    return this.lock.run(async () => {
      const started = performance.now();
      const now = options.now ?? new Date();
      await this.ensurePassRow();
      return this.store.transaction(async (tx) => {
        await serialize(tx);
        const resolved = await tx.query(
          `UPDATE match_payments SET scheme = m.scheme, status = 'pending'
             FROM (SELECT identifier, provider, min(scheme) AS scheme FROM match_merchants GROUP BY identifier, provider) m
            WHERE match_payments.status = 'unknown_merchant' AND m.identifier = match_payments.merchant_id
              AND m.provider = match_payments.provider
           RETURNING match_payments.scheme`,
        );
        const pending = (
          await tx.query(
            "SELECT DISTINCT scheme FROM match_payments WHERE status = 'pending' AND scheme IS NOT NULL",
          )
        ).map((r) => String(r.scheme));
        const wanted = options.schemes
          ? new Set([...options.schemes, ...resolved.map((r) => String(r.scheme))])
          : null;
        let matched = 0;
        let spotted = 0;
        let ambiguous = 0;
        let rounds = 0;
        for (const scheme of pending.sort()) {
          if (wanted && !wanted.has(scheme)) continue;
          const def = this.rulesOf(scheme);
          if (def.spotting) {
            spotted += await this.spot(tx, scheme, now);
            continue;
          }
          const r = await this.matchScheme(tx, scheme, def, now);
          matched += r.matched;
          ambiguous += r.ambiguous;
          rounds = Math.max(rounds, r.rounds);
        }
        const unmatched = await this.expire(tx, now);
        const result = {
          matched,
          spotted,
          ambiguous,
          unmatched,
          resolved: resolved.length,
          rounds,
          ms: Math.round(performance.now() - started),
        };
        // Every pass checks in, whoever ran it (the worker, the API, the CLI).
        await checkIn(tx, 'matcher', result);
        return result;
      });
    });
  }

  private async matchScheme(
    tx: SqlClient,
    scheme: string,
    def: SchemeRules,
    now: Date,
  ): Promise<{ matched: number; ambiguous: number; rounds: number }> {
    const d = this.store.dialect;
    const rules = def.rules.length ? def.rules : null;
    const scores = rules ? rules.map((r, i) => `${ruleScore(d, r)} AS r${i}`) : ['0 AS r0'];
    const k = scores.length;
    // Every candidate is kept, with whether its rules agree (`ok`): only agreeing pairs can match, and the
    // others still count when recording which rules told the candidates apart. The scheme's name comes from
    // imported data: bound ($1).
    await tx.exec(
      `CREATE TEMP TABLE match_cand AS
       SELECT pid, sid, ${Array.from({ length: k }, (_, i) => `r${i}`).join(', ')}, ${agreeing(rules ?? [])} AS ok FROM (
         SELECT p.id AS pid, s.id AS sid, ${scores.join(', ')}
           ${candidatePairs(def, `p.status = 'pending' AND p.scheme = $1 AND s.scheme = $1`)}) c`,
      [scheme],
    );
    // Statistics for the planner: PostgreSQL never analyzes temporary tables by itself.
    await tx.exec('ANALYZE match_cand');
    const order = (upTo: number) => Array.from({ length: upTo + 1 }, (_, i) => `r${i}`).join(', ');
    const ranks = Array.from(
      { length: k },
      (_, i) => `rank() OVER (PARTITION BY pid ORDER BY ${order(i)}) AS k${i}`,
    );
    const counts = Array.from(
      { length: k },
      (_, i) => `sum(CASE WHEN k${i} = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY pid) AS c${i}`,
    );
    const names = rules ?? [];
    // Decided by the shortest prefix of rules after which this pair alone was best.
    const decided = [
      `WHEN n = 1 THEN ${d.literal(JSON.stringify(FILTER_RULES))}`,
      ...names.map(
        (_, i) =>
          `WHEN k${i} = 1 AND c${i} = 1 THEN ${d.literal(JSON.stringify([...FILTER_RULES, ...names.slice(0, i + 1)]))}`,
      ),
    ];
    const last = k - 1;
    const okFirst = `CASE WHEN ok THEN 0 ELSE 1 END, ${order(last)}`;
    let matched = 0;
    let rounds = 0;
    for (; rounds < MAX_ROUNDS; ) {
      rounds++;
      // A pair matches when, among agreeing pairs, it is the payment's single best and the scheme
      // transaction's single best.
      await tx.exec(
        `CREATE TEMP TABLE match_round AS
         WITH w AS (
           SELECT pid, sid, ok, count(*) OVER (PARTITION BY pid) AS n, ${ranks.join(', ')},
                  rank() OVER (PARTITION BY pid ORDER BY ${okFirst}) AS kp,
                  rank() OVER (PARTITION BY sid ORDER BY ${okFirst}) AS ks
             FROM match_cand),
         x AS (
           SELECT w.*, ${counts.join(', ')},
                  sum(CASE WHEN kp = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY pid) AS cp,
                  sum(CASE WHEN ks = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY sid) AS cs
             FROM w)
         SELECT pid, sid, n, CASE ${decided.join(' ')} ELSE ${d.literal(JSON.stringify([...FILTER_RULES, ...names]))} END AS decided_by
           FROM x WHERE ok AND kp = 1 AND cp = 1 AND ks = 1 AND cs = 1`,
      );
      const [{ n }] = (await tx.query('SELECT count(*) AS n FROM match_round')) as [{ n: number }];
      if (Number(n) > 0) {
        await tx.exec(
          `INSERT INTO match_matches (id, payment_id, scheme_tx_id, scheme, match_type, decided_by, candidates, matched_at)
           SELECT nextval('match_ids'), pid, sid, $2, 'loyalty', decided_by, n, $1 FROM match_round`,
          [now, scheme],
        );
        await this.recordMatched(tx, 'SELECT pid FROM match_round', 'SELECT sid FROM match_round', now);
        await tx.exec(
          'DELETE FROM match_cand WHERE pid IN (SELECT pid FROM match_round) OR sid IN (SELECT sid FROM match_round)',
        );
        matched += Number(n);
      }
      await tx.exec('DROP TABLE match_round');
      if (Number(n) === 0) break;
    }
    const amb = await tx.query(
      "UPDATE match_payments SET status = 'ambiguous' WHERE id IN (SELECT pid FROM match_cand WHERE ok) RETURNING id",
    );
    await tx.exec('DROP TABLE match_cand');
    return { matched, ambiguous: amb.length, rounds };
  }

  // Matched rows change status, and each new match gets its pending export, in the pass's transaction.
  private async recordMatched(
    tx: SqlClient,
    payments: string,
    schemeTxs: string | null,
    now: Date,
  ): Promise<void> {
    await tx.exec(
      `INSERT INTO match_exports (match_id, status, attempts, next_attempt_at)
       SELECT id, 'PENDING', 0, $1 FROM match_matches WHERE payment_id IN (${payments})`,
      [now],
    );
    await tx.exec(`UPDATE match_payments SET status = 'matched' WHERE id IN (${payments})`);
    if (schemeTxs) await tx.exec(`UPDATE match_scheme_txs SET status = 'matched' WHERE id IN (${schemeTxs})`);
  }

  private async spot(tx: SqlClient, scheme: string, now: Date): Promise<number> {
    await tx.exec(
      `CREATE TEMP TABLE match_spot AS
       SELECT id FROM match_payments WHERE status = 'pending' AND scheme = $1`,
      [scheme],
    );
    const [{ n }] = (await tx.query('SELECT count(*) AS n FROM match_spot')) as [{ n: number }];
    await tx.exec(
      `INSERT INTO match_matches (id, payment_id, scheme_tx_id, scheme, match_type, decided_by, candidates, matched_at)
       SELECT nextval('match_ids'), id, NULL, $2, 'spotted', '["spotting"]', 0, $1 FROM match_spot`,
      [now, scheme],
    );
    await this.recordMatched(tx, 'SELECT id FROM match_spot', null, now);
    await tx.exec('DROP TABLE match_spot');
    return Number(n);
  }

  private async expire(tx: SqlClient, now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - parseDuration(this.config.unmatchedAfter));
    const p = await tx.query(
      "UPDATE match_payments SET status = 'unmatched' WHERE status = 'pending' AND imported_at < $1 RETURNING id",
      [cutoff],
    );
    await tx.exec(
      "UPDATE match_scheme_txs SET status = 'unmatched' WHERE status = 'pending' AND imported_at < $1",
      [cutoff],
    );
    return p.length;
  }

  private passRow = false;

  private async ensurePassRow(): Promise<void> {
    if (this.passRow) return;
    await this.store.exec(
      "INSERT INTO match_state (name, value) VALUES ('passes', 0) ON CONFLICT (name) DO NOTHING",
    );
    this.passRow = true;
  }

  /** Force-matches a payment (with a scheme transaction, or alone) for redress, recorded as forced. */
  forceMatch(paymentId: number, schemeTxId: number | null, by: string, now = new Date()): Promise<number> {
    return this.lock.run(async () => {
      await this.ensurePassRow();
      return this.store.transaction(async (tx) => {
        await serialize(tx);
        const [p] = await tx.query('SELECT status, scheme FROM match_payments WHERE id = $1', [paymentId]);
        if (!p) throw new MatchingError(`no payment transaction ${paymentId}`, 404);
        if (p.status === 'matched')
          throw new MatchingError(`payment transaction ${paymentId} is already matched`, 409);
        let scheme = p.scheme as string | null;
        if (schemeTxId !== null) {
          const [s] = await tx.query('SELECT status, scheme FROM match_scheme_txs WHERE id = $1', [
            schemeTxId,
          ]);
          if (!s) throw new MatchingError(`no scheme transaction ${schemeTxId}`, 404);
          if (s.status === 'matched')
            throw new MatchingError(`scheme transaction ${schemeTxId} is already matched`, 409);
          scheme = String(s.scheme);
        }
        if (!scheme)
          throw new MatchingError(
            `payment transaction ${paymentId} has an unknown merchant: name the scheme transaction to match it with`,
            409,
          );
        const [m] = await tx.query(
          `INSERT INTO match_matches (id, payment_id, scheme_tx_id, scheme, match_type, decided_by, candidates, forced_by, matched_at)
           VALUES (nextval('match_ids'), $1, $2, $3, 'forced', '["forced"]', 0, $4, $5) RETURNING id`,
          [paymentId, schemeTxId, scheme, by, now],
        );
        await this.recordMatched(
          tx,
          String(Math.trunc(paymentId)),
          schemeTxId === null ? null : String(Math.trunc(schemeTxId)),
          now,
        );
        return Number(m!.id);
      });
    });
  }

  /** Puts transactions that are not matched back to pending, so the next pass looks at them again. */
  async rematch(paymentIds: readonly number[]): Promise<number> {
    if (paymentIds.length === 0) return 0;
    const ids = paymentIds.map((i) => Math.trunc(i));
    return this.lock.run(async () => {
      const p = new Params();
      const [matched] = await this.store.query(
        `SELECT id FROM match_payments WHERE id IN (${p.list(ids)}) AND status = 'matched' LIMIT 1`,
        p.values,
      );
      if (matched)
        throw new MatchingError(
          `payment transaction ${matched.id} is already matched; force-match to change a match`,
          409,
        );
      const q = new Params(2);
      const rows = await this.store.query(
        `UPDATE match_payments SET status = CASE WHEN scheme IS NULL THEN 'unknown_merchant' ELSE 'pending' END,
                imported_at = $1
          WHERE id IN (${q.list(ids)}) RETURNING id`,
        [new Date(), ...q.values],
      );
      return rows.length;
    });
  }
}
