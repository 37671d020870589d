import { parse } from 'csv-parse/sync';

/** One record of an import file: its fields (the file's own names), where it was, or why it could not be read. */
export interface FileRecord {
  readonly index: number;
  /** 1-based line in the file (the CSV header is line 1). */
  readonly line: number;
  readonly value?: Record<string, unknown>;
  readonly error?: string;
  readonly raw: string;
}

export type RecordFormat = 'csv' | 'json' | 'ndjson';

/** The format a file name or Content-Type names. */
export function recordFormat(nameOrType: string | undefined): RecordFormat | undefined {
  const s = (nameOrType ?? '').toLowerCase().split(';')[0]!.trim();
  if (s.endsWith('.csv') || s === 'text/csv' || s === 'application/csv') return 'csv';
  if (s.endsWith('.ndjson') || s.endsWith('.jsonl') || s.includes('ndjson') || s.includes('jsonl'))
    return 'ndjson';
  if (s.endsWith('.json') || s === 'application/json') return 'json';
  return undefined;
}

/**
 * Reads a whole import file into records. A malformed line (a CSV row with the wrong number of fields, an
 * NDJSON line that is not JSON) is a record with an error, never the end of the file: its neighbours import.
 */
export function parseRecords(text: string, format: RecordFormat): FileRecord[] {
  if (format === 'csv') return parseCsv(text);
  if (format === 'ndjson') {
    const out: FileRecord[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.replace(/\r$/, '');
      if (raw.trim() === '') continue;
      out.push({ index: out.length, line: i + 1, raw, ...readObject(raw) });
    }
    return out;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return [
      {
        index: 0,
        line: 1,
        raw: text.slice(0, 1000),
        error: `the file is not valid JSON: ${(err as Error).message}`,
      },
    ];
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? { index: i, line: i + 1, raw: JSON.stringify(v), value: v as Record<string, unknown> }
      : { index: i, line: i + 1, raw: JSON.stringify(v), error: `element ${i} is not a JSON object` },
  );
}

function readObject(raw: string): { value?: Record<string, unknown>; error?: string } {
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return { value: v as Record<string, unknown> };
    return { error: 'the line is not a JSON object' };
  } catch (err) {
    return { error: `the line is not valid JSON: ${(err as Error).message}` };
  }
}

function parseCsv(text: string): FileRecord[] {
  const out: FileRecord[] = [];
  const rows = parse(text, {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    raw: true,
  }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
  const header = rows[0]?.record.map((h) => h.trim());
  if (!header) return out;
  for (let i = 1; i < rows.length; i++) {
    const { record, info, raw } = rows[i]!;
    const line = info.lines;
    const rawLine = raw.replace(/\r?\n$/, '');
    if (record.length !== header.length) {
      out.push({
        index: out.length,
        line,
        raw: rawLine,
        error: `line ${line} has ${record.length} fields; the header has ${header.length}`,
      });
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((h, j) => {
      value[h] = record[j];
    });
    out.push({ index: out.length, line, raw: rawLine, value });
  }
  return out;
}
