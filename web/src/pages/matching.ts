import uPlot from 'uplot';
import { api, NeedsToken } from '../api.js';
import { esc, fmtNumber, go, routeParams, table } from '../ui.js';
import { type Detail, detailSection, type Tx, transactions } from './matching-transactions.js';

type Summary = {
  configured: true;
  totals: { payment: Record<string, number>; scheme: Record<string, number> };
  exports: Record<string, number>;
  checkins: { component: string; checked_in_at: string; detail: string | null }[];
  schemes: Record<
    string,
    { name: string; rules: string[]; window: string; spotting: boolean; amountTolerance: number }
  >;
  rabbitmq: 'connected' | 'disconnected' | 'not configured';
};
type Count = { side: string; scheme: string; day: string; status: string; n: number };
// The payment statuses a person works through, and every status in the order the totals show them.
const LIST_STATUSES = ['ambiguous', 'unmatched', 'pending', 'unknown_merchant', 'matched'];
const STATUSES = ['matched', 'ambiguous', 'pending', 'unmatched', 'unknown_merchant'];
const EXPORTS = ['PENDING', 'EXPORTED', 'EXPORT_FAILED'];
const COLORS: Record<string, string> = {
  matched: '#3a9a5b',
  ambiguous: '#d9822b',
  pending: '#2f6fdf',
  unmatched: '#c0392b',
  unknown_merchant: '#a04ec9',
};
const EXPORT_LABELS: Record<string, string> = {
  PENDING: 'exports pending',
  EXPORTED: 'exported',
  EXPORT_FAILED: 'export failed',
};
const PAGE = 50;

// Where to scroll after the next render: moving within the list keeps the list in view.
let scrollTo: string | null = null;

/**
 * Transaction matching: totals and exports by status, check-ins, counts per scheme and day (table and chart),
 * payment transactions by status with their best candidates, one transaction's match or candidates and raw
 * record, and the failed exports.
 */
export async function matchingPage(el: HTMLElement) {
  const p = routeParams();
  let summary: Summary;
  const answer = await api<Summary | { configured: false; message: string }>('/v1/match/summary');
  if (!answer.configured) {
    const { message } = answer;
    el.innerHTML = `<h1>Matching</h1><p class="empty">${esc(message[0]!.toUpperCase() + message.slice(1))}.</p>`;
    return undefined;
  }
  summary = answer;
  const params = Object.fromEntries(p.entries());
  const here = (change: Record<string, string | undefined>) =>
    `#/matching?${new URLSearchParams(Object.entries({ ...params, ...change }).filter((e): e is [string, string] => !!e[1]))}`;
  const status = p.get('status') || 'ambiguous';
  const offset = Math.max(0, Number(p.get('offset')) || 0);
  const countsQ = new URLSearchParams();
  for (const k of ['scheme', 'from', 'to']) if (p.get(k)) countsQ.set(k, p.get(k)!);
  const listQ = new URLSearchParams({ side: 'payment', status, limit: String(PAGE), offset: String(offset) });
  for (const k of ['scheme', 'day']) if (p.get(k)) listQ.set(k, p.get(k)!);
  listQ.set('candidates', '1');
  const tx = /^(payment|scheme)\/(\d+)$/.exec(p.get('tx') ?? '');
  const [counts, list, failed, detail] = await Promise.all([
    api<{ counts: Count[] }>(`/v1/match/counts?${countsQ}`),
    api<{ total: number; transactions: Tx[] }>(`/v1/match/transactions?${listQ}`),
    api<{ exports: Record<string, unknown>[] }>('/v1/match/exports?status=EXPORT_FAILED'),
    tx
      ? api<Detail>(`/v1/match/transactions/${tx[1]}/${tx[2]}`).catch((err: Error) => {
          if (err instanceof NeedsToken) throw err;
          return err;
        })
      : Promise.resolve(null),
  ]);
  const schemes = Object.keys(summary.schemes);
  const option = (v: string, selected: string | null, label = v) =>
    `<option value="${esc(v)}"${v === (selected ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const schemeSelect = `<label>scheme<select name="scheme">${['', ...schemes].map((s) => option(s, p.get('scheme'), s || 'all')).join('')}</select></label>`;
  const payments = counts.counts.filter((c) => c.side === 'payment');
  el.innerHTML = `
    <h1>Matching ${summary.rabbitmq === 'not configured' ? '<span class="muted">RabbitMQ not configured: exports go to files</span>' : `<span class="badge ${summary.rabbitmq === 'connected' ? 'ok' : 'bad'}">RabbitMQ ${esc(summary.rabbitmq)}</span>`}</h1>
    ${detail ? detailSection(detail, here({ tx: undefined }), here) : ''}
    <section class="cards">${ordered(STATUSES, { ...summary.totals.payment, ...summary.totals.scheme })
      .map(
        (s) =>
          `<div class="card"><h2>${esc(s.replaceAll('_', ' '))}</h2><p class="big">${fmtNumber(summary.totals.payment[s] ?? 0)}</p><p class="muted">payment · ${fmtNumber(summary.totals.scheme[s] ?? 0)} scheme</p></div>`,
      )
      .join('')}${ordered(EXPORTS, summary.exports)
      .map(
        (s) =>
          `<div class="card"><h2>${esc(EXPORT_LABELS[s] ?? s)}</h2><p class="big">${fmtNumber(summary.exports[s] ?? 0)}</p><p class="muted">matches</p></div>`,
      )
      .join('')}</section>
    <section class="split">
      <div><h2>Check-ins <span class="muted">the last time each part worked</span></h2>${table(
        ordered(
          ['importer', 'matcher', 'exporter'],
          Object.fromEntries(summary.checkins.map((c) => [c.component, 1])),
        ).map((component) => {
          const c = summary.checkins.find((x) => x.component === component);
          return {
            component,
            'last worked': c?.checked_in_at ?? 'never',
            ago: c ? ago(c.checked_in_at) : null,
            detail: c?.detail ? parsed(c.detail) : null,
          };
        }),
      )}</div>
      <div><h2>Schemes</h2>${table(
        Object.entries(summary.schemes).map(([slug, s]) => ({
          scheme: slug,
          name: s.name,
          rules: s.spotting ? 'spotting' : s.rules.join(' → '),
          window: s.window,
          'amount tolerance': s.amountTolerance,
        })),
      )}</div>
    </section>
    <section id="list"><h2>Payment transactions <span class="muted">${fmtNumber(list.total)} ${esc(status)}${p.get('scheme') ? ` · ${esc(p.get('scheme'))}` : ''}${p.get('day') ? ` · ${esc(p.get('day'))}` : ''}</span></h2>
      <form id="filter" class="row">
        <label>status<select name="status">${LIST_STATUSES.map((s) => option(s, status)).join('')}</select></label>
        ${schemeSelect}
        <label>day<input name="day" type="date" value="${esc(p.get('day') ?? '')}" /></label>
        <button>Show</button></form>
      ${
        list.transactions.length
          ? transactions(list.transactions, (side, id) => here({ tx: `${side}/${id}` }))
          : `<p class="empty">No ${esc(status)} payment transactions${p.get('scheme') || p.get('day') ? ' for these filters' : ''}.</p>`
      }
      <p class="row pages">${offset > 0 ? `<a href="${esc(here({ offset: String(Math.max(0, offset - PAGE)), tx: undefined }))}">← Previous</a>` : ''}
        ${offset + PAGE < list.total ? `<a href="${esc(here({ offset: String(offset + PAGE), tx: undefined }))}">Next page →</a>` : ''}</p>
    </section>
    <section id="failed"><h2>Failed exports <span class="muted">${fmtNumber(summary.exports.EXPORT_FAILED ?? 0)}</span></h2>${
      failed.exports.length
        ? table(
            failed.exports.map((x) => ({
              match: x.match_id,
              payment: x.payment_id,
              scheme: x.scheme,
              attempts: x.attempts,
              'last error': x.last_error,
              'next attempt': x.next_attempt_at,
              run: x.run_id,
            })),
          )
        : '<p class="empty">No export has failed.</p>'
    }</section>
    <section id="counts"><h2>Transactions per scheme and day</h2>
      <form id="range" class="row">${schemeSelect}
        <label>from<input name="from" type="date" value="${esc(p.get('from') ?? '')}" /></label>
        <label>to<input name="to" type="date" value="${esc(p.get('to') ?? '')}" /></label>
        <button>Apply</button></form>
      ${payments.length ? '<h3 class="muted">Payment transactions per day by status</h3><div id="chart" class="chart"></div>' : ''}
      ${countsTable(counts.counts, (r) => {
        if (r.side !== 'payment') return null;
        // Payments at a merchant id nobody knows have no scheme yet.
        const unknown = r.scheme === '(unknown)';
        return here({
          day: String(r.day),
          scheme: unknown ? undefined : String(r.scheme),
          status: unknown ? 'unknown_merchant' : status,
          offset: undefined,
          tx: undefined,
        });
      })}
    </section>`;
  for (const id of ['range', 'filter']) {
    el.querySelector(`#${id}`)!.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(e.target as HTMLFormElement);
      const change: Record<string, string> = {};
      for (const [k, v] of data.entries()) change[k] = String(v);
      if (id === 'filter') scrollTo = '#list';
      go('matching', { ...params, ...change, offset: undefined, tx: undefined });
    });
  }
  for (const id of ['counts', 'list'])
    el.querySelector(`#${id}`)!.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('#counts tr[data-href], #list .pages a')) scrollTo = '#list';
    });
  const target = tx ? '#detail' : scrollTo;
  scrollTo = null;
  if (target) el.querySelector(target)?.scrollIntoView({ block: 'start' });
  const chartEl = el.querySelector<HTMLElement>('#chart');
  if (!chartEl) return undefined;
  const plot = dayChart(chartEl, payments);
  return () => plot.destroy();
}

/** Payment transactions, each followed by its best candidates (scheme transactions), each row a link. */
function countsTable(counts: Count[], link: (r: Record<string, unknown>) => string | null): string {
  const statuses = ordered(STATUSES, Object.fromEntries(counts.map((c) => [c.status, 1]))).filter((s) =>
    counts.some((c) => c.status === s),
  );
  const rows = new Map<string, Record<string, unknown>>();
  for (const c of counts) {
    const key = `${c.day}|${c.scheme}|${c.side}`;
    const r = rows.get(key) ?? { day: c.day, scheme: c.scheme, side: c.side, total: 0 };
    r[c.status] = c.n;
    r.total = Number(r.total) + c.n;
    rows.set(key, r);
  }
  return table([...rows.values()], ['day', 'scheme', 'side', ...statuses, 'total'], link);
}

/** Payment transactions per day, stacked by status (drawn as cumulative bars, the tallest first). */
function dayChart(chartEl: HTMLElement, counts: Count[]): uPlot {
  const days = [...new Set(counts.map((c) => c.day))].sort();
  const statuses = ordered(STATUSES, Object.fromEntries(counts.map((c) => [c.status, 1]))).filter((s) =>
    counts.some((c) => c.status === s),
  );
  const raw = statuses.map((s) =>
    days.map((d) => counts.filter((c) => c.day === d && c.status === s).reduce((a, c) => a + c.n, 0)),
  );
  const stacked = raw.map((_, i) => days.map((_, j) => raw.slice(0, i + 1).reduce((a, r) => a + r[j]!, 0)));
  const order = statuses.map((_, i) => statuses.length - 1 - i);
  const bars = uPlot.paths.bars!({ size: [0.7, 80] });
  return new uPlot(
    {
      width: Math.max(300, chartEl.clientWidth),
      height: 220,
      scales: {
        x: { time: false, range: () => [-0.5, days.length - 0.5] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
      },
      axes: [
        {
          incrs: [1, 2, 5, 7, 14, 30, 60, 90],
          values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (days[i]?.slice(5) ?? '') : '')),
        },
        {},
      ],
      series: [
        { label: 'day', value: (_u, v) => (v === null ? '–' : (days[Math.round(v)] ?? '')) },
        ...order.map((i) => ({
          label: statuses[i]!,
          fill: COLORS[statuses[i]!] ?? '#6b7385',
          stroke: COLORS[statuses[i]!] ?? '#6b7385',
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
            idx === null ? '–' : fmtNumber(raw[i]![idx]),
        })),
      ],
    },
    [days.map((_, i) => i), ...order.map((i) => stacked[i]!)],
    chartEl,
  );
}

function ordered(known: readonly string[], present: Record<string, unknown>): string[] {
  return [...known, ...Object.keys(present).filter((k) => !known.includes(k))];
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}
