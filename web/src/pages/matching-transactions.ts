import { esc, fmtNumber, show, table } from '../ui.js';

// A transaction list with each payment's candidates, and one transaction's match or candidates: the part of
// the Matching page about single transactions.

export type Candidate = {
  id: number;
  transaction_id: string;
  time: string;
  amount: string;
  currency?: string;
  first_six: string | null;
  last_four: string | null;
  auth_code: string | null;
  scores: Record<string, number>;
  agrees?: boolean;
};
export type Tx = Record<string, unknown> & {
  id: number;
  transaction_id: string;
  time: string;
  amount: string;
  currency: string;
  status: string;
  candidates?: Candidate[];
};
export type Match = {
  matched_transaction_id: number;
  match_type: string;
  decided_by: string[];
  candidates: number;
  forced_by?: string;
  matched_at: string;
  payment: Record<string, unknown>;
  scheme_transaction: Record<string, unknown> | null;
  export: Record<string, unknown> | null;
};
export type Detail = Tx & { side: 'payment' | 'scheme'; raw: unknown; event: unknown; match?: Match };

export function transactions(list: Tx[], link: (side: string, id: number) => string): string {
  const rows = list.flatMap((t) => [
    {
      '': 'payment',
      id: t.id,
      time: t.time,
      transaction: t.transaction_id,
      provider: t.provider,
      merchant: t.merchant_id,
      amount: `${t.amount} ${t.currency}`,
      card: card(t.first_six, t.last_four),
      'auth code': t.auth_code,
      'status · scores': `${t.status}${t.candidates ? ` · ${t.candidates.length} candidate${t.candidates.length === 1 ? '' : 's'}` : ''}`,
      _href: link('payment', t.id),
    },
    ...(t.candidates ?? []).map((c, i) => ({
      '': `↳ candidate ${i + 1}`,
      id: c.id,
      time: c.time,
      transaction: c.transaction_id,
      provider: '',
      merchant: '',
      amount: `${c.amount} ${c.currency ?? t.currency}`,
      card: card(c.first_six, c.last_four),
      'auth code': c.auth_code,
      'status · scores': scores(c),
      _href: link('scheme', c.id),
    })),
  ]);
  return table(
    rows,
    Object.keys(rows[0]!).filter((k) => k !== '_href'),
    (r) => String(r._href),
  );
}

/** One transaction: its fields, its match (the rules that decided it, both sides, the export) or candidates. */
export function detailSection(
  d: Detail | Error,
  close: string,
  here: (change: Record<string, string | undefined>) => string,
): string {
  if (d instanceof Error)
    return `<section id="detail"><p class="error" role="alert">${esc(d.message)}</p><p><a href="${esc(close)}">Close</a></p></section>`;
  const { raw, event, match, candidates, ...fields } = d;
  const other = (side: string, id: unknown) =>
    `<a href="${esc(here({ tx: `${side}/${id}` }))}">${esc(id)}</a>`;
  let right: string;
  if (match) {
    const s = match.scheme_transaction;
    const keys = [...new Set([...Object.keys(match.payment), ...Object.keys(s ?? {})])];
    right = `<h3>Matched <span class="muted">${esc(match.match_type)} · match ${esc(match.matched_transaction_id)} · ${show(match.matched_at)}</span></h3>
      <p>Decided by <span class="rules">${match.decided_by.map((r) => `<code>${esc(r)}</code>`).join(' → ')}</span> among ${fmtNumber(match.candidates)} candidate${match.candidates === 1 ? '' : 's'}${match.forced_by ? ` · forced by ${esc(match.forced_by)}` : ''}.
        Payment ${other('payment', match.payment.id)}${s ? `, scheme transaction ${other('scheme', s.id)}` : ' (spotted: no scheme transaction)'}.</p>
      ${table(
        keys.map((k) => ({ field: k, payment: match.payment[k], scheme: s?.[k] })),
        ['field', 'payment', 'scheme'],
      )}
      <h3>Export</h3>${match.export ? table([match.export]) : '<p class="empty">No export recorded.</p>'}`;
  } else if (d.side === 'payment') {
    right = `<h3>Candidates <span class="muted">pending scheme transactions at its merchant, amount and time, best first</span></h3>${
      candidates?.length
        ? table(
            candidates.map((c) => ({
              id: c.id,
              transaction: c.transaction_id,
              time: c.time,
              amount: `${c.amount} ${c.currency ?? ''}`,
              card: card(c.first_six, c.last_four),
              'auth code': c.auth_code,
              scores: scores(c),
            })),
            undefined,
            (r) => here({ tx: `scheme/${r.id}` }),
          )
        : '<p class="empty">No pending scheme transaction fits this payment.</p>'
    }`;
  } else {
    right = `<h3>Not matched</h3><p class="muted">This scheme transaction is ${esc(d.status)}.</p>`;
  }
  return `<section id="detail">
    <h2>${d.side === 'payment' ? 'Payment' : 'Scheme'} transaction ${esc(d.id)} <span class="muted">${esc(fields.provider ?? fields.scheme ?? '')} · ${esc(d.transaction_id)} · ${esc(d.status)} · <a href="${esc(close)}">close</a></span></h2>
    <div class="split">
      <div class="decision">${right}</div>
      <div><h3>Fields</h3>${table(Object.entries(fields).map(([field, value]) => ({ field, value })))}</div>
    </div>
    <h3>Raw record <span class="muted">${event ? esc(JSON.stringify(event)) : ''}</span></h3><pre class="json">${esc(JSON.stringify(raw, null, 2))}</pre>
  </section>`;
}

/** Counts pivoted: one row per day, scheme and side; one column per status. */
function scores(c: Candidate): string {
  const words = ['same', 'unknown', 'differs'];
  const text = Object.entries(c.scores)
    .map(([rule, n]) => (rule === 'time' ? `time ${n}s apart` : `${rule} ${words[n] ?? n}`))
    .join(' · ');
  return c.agrees === false ? `${text} (a rule disagrees)` : text;
}

function card(first: unknown, last: unknown): string | null {
  return first || last ? `${first ?? '······'}…${last ?? '····'}` : null;
}

/** The known keys in their order, then any others the server has. */
