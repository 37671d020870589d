import uPlot from 'uplot';
import { api } from '../api.js';
import { esc, go, routeParams, table } from '../ui.js';

type Col = { name: string; type: string };
type List = {
  projections: {
    name: string;
    shape: string;
    description: string | null;
    columns: Col[];
    freshness: { watermark: number; speedEvents: number; batchAt: string | null } | null;
  }[];
};

/** Each projection as a table with filters, a chart for aggregates over time, and downloads. */
export async function projectionsPage(el: HTMLElement) {
  const p = routeParams();
  const list = await api<List>('/v1/projections');
  const name = p.get('name') ?? list.projections[0]?.name;
  if (!name) {
    el.innerHTML = '<h1>Projections</h1><p class="empty">No projections are declared in panoramix.yaml.</p>';
    return undefined;
  }
  const proj = list.projections.find((x) => x.name === name);
  const q = new URLSearchParams();
  for (const [k, v] of p.entries()) if (k !== 'name' && v) q.set(k, v);
  if (!q.has('limit')) q.set('limit', '100');
  const answer = await api<{
    rows: Record<string, unknown>[];
    columns: Col[];
    freshness: { watermark: number; speedEvents: number; batchAt: string | null };
    nextCursor: string | null;
  }>(`/v1/projections/${encodeURIComponent(name)}?${q}`);
  const timeCol = answer.columns.find((c) => c.type === 'timestamp');
  const numCols = answer.columns.filter((c) => c.type === 'bigint' || c.type === 'double');
  el.innerHTML = `
    <h1>Projections</h1>
    <div class="row tabs">${list.projections.map((x) => `<a href="#/projections?name=${esc(x.name)}"${x.name === name ? ' aria-current="page"' : ''}>${esc(x.name)}</a>`).join('')}</div>
    <p class="muted">${esc(proj?.description ?? '')} · ${esc(proj?.shape ?? '')} · watermark ${answer.freshness.watermark} + ${answer.freshness.speedEvents} events from the speed layer · batch at ${esc(answer.freshness.batchAt ?? 'never')}</p>
    <form id="f" class="row">
      <label>filter<input name="filter" placeholder="status=FULFILLED" value="${esc(
        [...q.entries()]
          .filter(([k]) => !['limit', 'sort', 'cursor'].includes(k))
          .map(([k, v]) => `${k}=${v}`)
          .join('&'),
      )}" /></label>
      <label>sort<input name="sort" placeholder="-updated_ts" value="${esc(p.get('sort') ?? '')}" /></label>
      <button>Apply</button>
      <a class="button" href="#" data-download="${esc(`/v1/projections/${encodeURIComponent(name)}?${q}&format=csv`)}">CSV</a>
      <a class="button" href="#" data-download="${esc(`/v1/projections/${encodeURIComponent(name)}?${q}&format=parquet`)}">Parquet</a>
    </form>
    ${timeCol && numCols.length && proj?.shape === 'aggregate' ? '<section><div id="chart" class="chart"></div></section>' : ''}
    ${table(
      answer.rows,
      answer.columns.map((c) => c.name),
    )}
    ${answer.nextCursor ? `<p><a href="#/projections?${new URLSearchParams({ ...Object.fromEntries(p.entries()), cursor: answer.nextCursor })}">Next page →</a></p>` : ''}`;
  el.querySelector('#f')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const params: Record<string, string> = { name };
    for (const part of String(data.get('filter') ?? '').split('&')) {
      const at = part.indexOf('=');
      if (at > 0) params[part.slice(0, at).trim()] = part.slice(at + 1).trim();
    }
    if (data.get('sort')) params.sort = String(data.get('sort'));
    go('projections', params);
  });
  const chartEl = el.querySelector<HTMLElement>('#chart');
  if (!chartEl || !timeCol) return undefined;
  // Sum each numeric measure per time bucket, so an aggregate over time reads as a line per measure.
  const buckets = new Map<number, number[]>();
  for (const r of answer.rows) {
    const t = Date.parse(String(r[timeCol.name])) / 1000;
    const acc = buckets.get(t) ?? numCols.map(() => 0);
    numCols.forEach((c, i) => {
      acc[i]! += Number(r[c.name] ?? 0);
    });
    buckets.set(t, acc);
  }
  const xs = [...buckets.keys()].sort((a, b) => a - b);
  const plot = new uPlot(
    {
      width: Math.max(300, chartEl.clientWidth),
      height: 220,
      series: [
        {},
        ...numCols.map((c, i) => ({
          label: c.name,
          stroke: ['#2f6fdf', '#d9822b', '#3a9a5b', '#a04ec9'][i % 4]!,
        })),
      ],
    },
    [xs, ...numCols.map((_, i) => xs.map((x) => buckets.get(x)![i]!))],
    chartEl,
  );
  return () => plot.destroy();
}
