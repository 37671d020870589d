import { api } from '../api.js';
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
export async function lakePage(el: HTMLElement) {
  const lake = await api<{ target: string; format: string; tables: Record<string, unknown>[]; runs: Run[] }>(
    '/v1/lake',
  );
  const last = lake.runs[0];
  el.innerHTML = `<h1>Lake <span class="muted">${esc(lake.target)} · ${esc(lake.format)}</span></h1>
    <section><h2>Tables</h2>${table(lake.tables)}</section>
    <section><h2>Runs</h2>${table(lake.runs.map((r) => ({ started: r.started_at, tables: r.tables, forced: r.forced, status: r.status, partitions: r.partitions, rows: r.rows, bytes: r.bytes, error: r.error })))}</section>
    ${last ? `<section><h2>Partitions written by the latest run</h2>${table(last.written)}</section>` : ''}`;
  return undefined;
}
