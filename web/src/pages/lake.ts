import { api, NotEnabled } from '../api.js';
import { esc, table } from '../ui.js';

type Run = {
  started_at: string;
  finished_at: string | null;
  tables: string;
  partitions: number | null;
  rows: number | null;
  bytes: number | null;
  status: string;
  error: string | null;
  forced: boolean;
  written: { key: string; rows: number; bytes: number }[];
};

/** The datalake: tables, recent runs, and the partitions the latest run wrote. */
type Lake = {
  configured: true;
  target: string;
  format: string;
  tables: Record<string, unknown>[];
  runs: Run[];
};

export async function lakePage(el: HTMLElement) {
  let lake: Lake | { configured: false; message: string };
  try {
    lake = await api<Lake | { configured: false; message: string }>('/v1/lake');
  } catch (err) {
    // An older server without the route answers 404: the same as no lake.
    if (!(err instanceof NotEnabled)) throw err;
    lake = { configured: false, message: 'the lake is not enabled on this server' };
  }
  if (!lake.configured) {
    el.innerHTML = `<h1>Lake</h1><p class="empty">Lake is not configured: ${esc(lake.message)}.</p>`;
    return undefined;
  }
  const last = lake.runs[0];
  el.innerHTML = `<h1>Lake <span class="muted">${esc(lake.target)} · ${esc(lake.format)}</span></h1>
    <section><h2>Tables</h2>${table(lake.tables)}</section>
    <section><h2>Runs</h2>${table(lake.runs.map((r) => ({ started: r.started_at, tables: r.tables, forced: r.forced, status: r.status, partitions: r.partitions, rows: r.rows, bytes: r.bytes, error: r.error })))}</section>
    ${last ? `<section><h2>Partitions written by the latest run</h2>${table(last.written)}</section>` : ''}`;
  return undefined;
}
