import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../api.js';
import { esc, fmtNumber, table } from '../ui.js';

interface Stats {
  queue: { depth: number; oldestPendingMs: number };
  events: { committed: number; accepted: Record<string, number>; rejected: Record<string, number> };
  rates: { committedPerSecondRecent: number };
  commits: { latencyMs: { p50: number | null; p99: number | null } };
  store: { engine: string; lastSeq: number; sizeBytes: number | null };
  quarantine?: { held: Record<string, number> };
  lag?: Record<
    string,
    { delayMs: { p50: number | null; p99: number | null; max: number | null }; oldestPendingMs: number }
  >;
}

/** Events per second (live), totals, queue and commits, store size, projection freshness, health. */
export async function overviewPage(el: HTMLElement) {
  const [status, projections] = await Promise.all([
    fetch('/status').then(
      (r) =>
        r.json() as Promise<{ status: string; checks: { name: string; ok: boolean; detail?: unknown }[] }>,
    ),
    api<{
      projections: {
        name: string;
        shape: string;
        freshness: { watermark: number; speedEvents: number; batchAt: string | null } | null;
      }[];
    }>('/v1/projections'),
  ]);
  const stats = (await fetch('/api/q/stats').then((r) => r.json())) as Stats;
  const recent = await api<{ events: { type: string; source: string }[] }>('/v1/events?limit=1000');
  const byType = new Map<string, number>();
  for (const e of recent.events)
    byType.set(`${e.source} · ${e.type}`, (byType.get(`${e.source} · ${e.type}`) ?? 0) + 1);
  el.innerHTML = `
    <h1>Overview <span class="badge ${status.status === 'ok' ? 'ok' : 'bad'}">${esc(status.status)}</span></h1>
    <section class="cards">
      <div class="card"><h2>events/s</h2><p class="big" id="rate">${fmtNumber(stats.rates.committedPerSecondRecent)}</p></div>
      <div class="card"><h2>stored</h2><p class="big">${fmtNumber(stats.store.lastSeq)}</p></div>
      <div class="card"><h2>queue</h2><p class="big" id="depth">${fmtNumber(stats.queue.depth)}</p></div>
      <div class="card"><h2>commit p50 / p99</h2><p class="big">${fmtNumber(stats.commits.latencyMs.p50)} / ${fmtNumber(stats.commits.latencyMs.p99)} ms</p></div>
      <div class="card"><h2>store</h2><p class="big">${esc(stats.store.engine)} · ${stats.store.sizeBytes === null ? '–' : `${fmtNumber(stats.store.sizeBytes / 1e6)} MB`}</p></div>
      <div class="card"><h2>quarantined</h2><p class="big">${fmtNumber(Object.values(stats.quarantine?.held ?? {}).reduce((a, b) => a + b, 0))}</p></div>
    </section>
    <section><h2>Events per second (live)</h2><div id="chart" class="chart"></div></section>
    <section class="split">
      <div><h2>Health</h2>${table(status.checks.map((c) => ({ check: c.name, ok: c.ok ? 'ok' : 'FAILING', detail: c.detail })))}</div>
      <div><h2>Latest 1,000 events by source and type</h2>${table([...byType.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ 'source · type': k, events: n })))}</div>
    </section>
    <section><h2>Ingestion lag per source</h2>${table(
      Object.entries(stats.lag ?? {}).map(([source, l]) => ({
        source,
        'delay p50 (s)': l.delayMs.p50 === null ? null : fmtNumber(l.delayMs.p50 / 1000),
        'delay p99 (s)': l.delayMs.p99 === null ? null : fmtNumber(l.delayMs.p99 / 1000),
        'oldest not yet durable (ms)': l.oldestPendingMs,
      })),
    )}</section>
    <section><h2>Projections</h2>${table(
      projections.projections.map((p) => ({
        name: p.name,
        shape: p.shape,
        watermark: p.freshness?.watermark ?? 'building',
        'speed events': p.freshness?.speedEvents ?? null,
        'batch at': p.freshness?.batchAt ?? null,
      })),
      undefined,
      (r) => `#/projections?name=${r.name}`,
    )}</section>`;
  const xs: number[] = [];
  const ys: number[] = [];
  const chartEl = el.querySelector<HTMLElement>('#chart')!;
  const plot = new uPlot(
    {
      width: Math.max(300, chartEl.clientWidth),
      height: 180,
      series: [{}, { label: 'events/s', stroke: '#2f6fdf', fill: 'rgba(47,111,223,0.12)' }],
      axes: [{}, {}],
    },
    [xs, ys],
    chartEl,
  );
  let last = stats.events.committed;
  let lastAt = Date.now();
  const timer = setInterval(async () => {
    const s = (await fetch('/api/q/stats').then((r) => r.json())) as Stats;
    const now = Date.now();
    xs.push(now / 1000);
    ys.push(Math.max(0, ((s.events.committed - last) * 1000) / (now - lastAt)));
    last = s.events.committed;
    lastAt = now;
    if (xs.length > 120) {
      xs.shift();
      ys.shift();
    }
    plot.setData([xs, ys]);
    el.querySelector('#rate')!.textContent = fmtNumber(ys.at(-1) ?? 0);
    el.querySelector('#depth')!.textContent = fmtNumber(s.queue.depth);
  }, 1000);
  return () => {
    clearInterval(timer);
    plot.destroy();
  };
}
