import type { Row, SqlValue } from '../store/store.js';

/** RFC 4180 CSV with a header line. */
export function toCsv(rows: readonly Row[], columns = rows[0] ? Object.keys(rows[0]) : []): string {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(cell(r[c] ?? null))).join(','));
  return lines.join('\n') + '\n';
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A value as text: timestamps in ISO UTC, nested values as JSON, NULL as empty. */
export function cell(v: SqlValue): string {
  if (v === null) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
