import { cell, toCsv } from '../core/csv.js';
import type { Row } from '../store/store.js';

export const OUTPUT_FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Renders rows for a terminal or a pipe. */
export function formatRows(rows: readonly Row[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (format === 'ndjson') return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  if (format === 'csv') return toCsv(rows);
  return toTable(rows);
}

function toTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => cell(r[c] ?? null)));
  const widths = cols.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((row) => row[i]!.length))));
  const fmt = (vals: string[]) =>
    vals
      .map((v, i) => (v.length > widths[i]! ? v.slice(0, widths[i]! - 1) + '…' : v.padEnd(widths[i]!)))
      .join('  ');
  return (
    [
      fmt(cols),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...cells.map(fmt),
      `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
    ].join('\n') + '\n'
  );
}
