import { parseDuration } from '../core/time.js';
import type { SqlDialect } from '../store/store.js';
import type { Rule, SchemeRules } from './config.js';

/**
 * The SQL of candidate selection and of each narrowing rule, over a payment `p` and a scheme transaction `s`.
 * A rule scores a pair (lower is better); candidates are narrowed rule by rule to those with the best score.
 */

/**
 * The FROM and WHERE of candidate pairs: payments `p` (narrowed by `payments`, which also names the scheme
 * on both sides) and the pending scheme transactions `s` that could be the same purchase.
 */
export function candidatePairs(def: SchemeRules, payments: string): string {
  return `FROM match_payments p
    JOIN match_scheme_mids sm ON sm.merchant_id = p.merchant_id
    JOIN match_scheme_txs s ON s.id = sm.scheme_tx_id
   WHERE ${payments} AND s.status = 'pending' AND ${candidateCondition(def)}`;
}

/** The filter every candidate passes: the currency, the amount, the time window. */
function candidateCondition(def: SchemeRules): string {
  const amount =
    def.amountTolerance === 0
      ? 's.amount = p.amount'
      : `s.amount BETWEEN p.amount - ${num(def.amountTolerance)} AND p.amount + ${num(def.amountTolerance)}`;
  const seconds = windowSeconds(def);
  // With both times known: ±window. Otherwise: the same calendar day.
  const window = `CASE WHEN p.has_time AND s.has_time
      THEN s.tx_time BETWEEN p.tx_time - INTERVAL '${seconds} seconds' AND p.tx_time + INTERVAL '${seconds} seconds'
      ELSE CAST(s.tx_time AS DATE) = CAST(p.tx_time AS DATE) END`;
  return `s.currency = p.currency AND ${amount} AND ${window}`;
}

/** A rule's score of a pair: 0 agrees, 1 cannot tell (a side lacks the field), 2 disagrees; time: seconds apart. */
export function ruleScore(d: SqlDialect, rule: Rule): string {
  switch (rule) {
    case 'auth_code':
      return compare('p.auth_code', 's.auth_code');
    case 'card_token':
      return compare('p.card_token', 's.card_token');
    case 'card':
      return `CASE WHEN p.last_four IS NULL OR s.last_four IS NULL THEN 1
        WHEN p.last_four = s.last_four AND (p.first_six IS NULL OR s.first_six IS NULL OR p.first_six = s.first_six) THEN 0
        ELSE 2 END`;
    case 'time':
      return `CASE WHEN p.has_time AND s.has_time THEN abs(${d.secondsBetween('p.tx_time', 's.tx_time')}) ELSE 0 END`;
  }
}

/**
 * The condition, over scored columns r0…, that drops candidates a rule says are another purchase: a
 * different auth code or card when both sides have one. Time only ranks (the window already bounds it).
 */
export function agreeing(rules: readonly Rule[]): string {
  const c = rules.flatMap((r, i) => (r === 'time' ? [] : [`r${i} < 2`]));
  return c.length ? c.join(' AND ') : 'TRUE';
}

/** The names recorded with a match: the candidate filter, then the rules that were needed to leave one. */
export const FILTER_RULES = ['merchant', 'amount', 'window'] as const;

export function windowSeconds(def: SchemeRules): number {
  // parseDuration gives milliseconds; the config schema checked it.
  return Math.round(parseDuration(def.window) / 1000);
}

function compare(a: string, b: string): string {
  return `CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN 1 WHEN ${a} = ${b} THEN 0 ELSE 2 END`;
}

function num(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a number: ${n}`);
  return String(n);
}
