import { api, currentAccess } from '../api.js';
import { esc, table } from '../ui.js';

type Run = {
  id: string;
  status: string;
  startedAt: string;
  windowStart: string;
  windowEnd: string;
  rows: number | null;
  error: string | null;
  download: string | null;
};
type Report = {
  name: string;
  description: string | null;
  schedule: string | null;
  next: string | null;
  offset: string;
  format: string;
  lastRun: Run | null;
};

/** Report definitions, their runs with status and errors, downloads, and run now with parameters. */
export async function reportsPage(el: HTMLElement) {
  const { reports } = await api<{ reports: Report[] }>('/v1/reports');
  if (reports.length === 0) {
    el.innerHTML = '<h1>Reports</h1><p class="empty">No reports are declared in panoramix.yaml.</p>';
    return undefined;
  }
  const { may } = await currentAccess();
  const runs = await Promise.all(
    reports.map((r) => api<{ runs: Run[] }>(`/v1/reports/${encodeURIComponent(r.name)}/runs`)),
  );
  el.innerHTML = `<h1>Reports</h1>${reports
    .map(
      (r, i) => `
    <section class="report" data-report="${esc(r.name)}">
      <h2>${esc(r.name)}</h2>
      <p class="muted">${esc(r.description ?? '')} · ${r.schedule ? `cron ${esc(r.schedule)}, next ${esc(r.next ?? '–')}` : 'on demand'} · ${esc(r.format)}</p>
      ${
        // Running a report changes state: only a token with the admin scope is offered the form.
        may.admin
          ? `<form class="row run">
        <label>end<input name="end" placeholder="now (ISO time)" /></label>
        <label>offset<input name="offset" placeholder="${esc(r.offset)}" /></label>
        <button>Run now</button>
        <span class="result" role="status"></span>
      </form>`
          : ''
      }
      ${table(
        (runs[i]?.runs ?? []).slice(0, 10).map((x) => ({
          started: x.startedAt,
          window: `${x.windowStart.slice(0, 19)} … ${x.windowEnd.slice(0, 19)}`,
          status: x.status,
          rows: x.rows,
          error: x.error,
          file: x.download ? 'download' : null,
        })),
      )}
    </section>`,
    )
    .join('')}`;
  el.querySelectorAll<HTMLTableRowElement>('section.report tbody tr').forEach((tr) => {
    const section = tr.closest<HTMLElement>('section.report')!;
    const idx = [...section.querySelectorAll('tbody tr')].indexOf(tr);
    const run = runs[reports.findIndex((r) => r.name === section.dataset.report)]?.runs[idx];
    const cell = tr.lastElementChild;
    if (run?.download && cell)
      cell.innerHTML = `<a href="#" data-download="${esc(run.download)}">download</a>`;
  });
  for (const form of el.querySelectorAll<HTMLFormElement>('form.run')) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = form.closest<HTMLElement>('section.report')!.dataset.report!;
      const data = new FormData(form);
      const out = form.querySelector('.result')!;
      out.textContent = 'running…';
      try {
        const body: Record<string, string> = {};
        if (data.get('end')) body.end = String(data.get('end'));
        if (data.get('offset')) body.offset = String(data.get('offset'));
        const run = await api<Run>(`/v1/reports/${encodeURIComponent(name)}/run`, { method: 'POST', body });
        out.innerHTML = `${esc(run.status)}: ${run.rows ?? 0} rows ${run.download ? `<a href="#" data-download="${esc(run.download)}">download</a>` : ''}`;
      } catch (err) {
        out.textContent = `failed: ${(err as Error).message}`;
      }
    });
  }
  return undefined;
}
