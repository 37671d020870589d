import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';

/**
 * The file formats replay reads. `segment`: Segment's export and archive files, one Segment message per line
 * (NDJSON, gzipped or not), sent through the Segment mapping.
 */
export type FileFormat = 'json' | 'ndjson' | 'csv' | 'segment';
export const FILE_FORMATS: readonly FileFormat[] = ['json', 'ndjson', 'csv', 'segment'];

/** Guesses a file's format from its extension, then its first character. */
export function detectFormat(file: string): FileFormat {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(ndjson|jsonl)(\.gz)?$/i.test(file) || /\.gz$/i.test(file)) return 'ndjson';
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(64);
  const n = fs.readSync(fd, buf, 0, 64, 0);
  fs.closeSync(fd);
  const text = buf.subarray(0, n).toString('utf8').trimStart();
  return text.startsWith('[') ? 'json' : 'ndjson';
}

/** Streams a file's events as objects; a line that is not JSON stops with its line number. */
export async function* readEvents(
  file: string,
  format = detectFormat(file),
): AsyncGenerator<Record<string, unknown>> {
  if (format === 'json') {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(value)) throw new Error(`${file}: a JSON file must hold an array of events`);
    yield* value as Record<string, unknown>[];
    return;
  }
  if (format === 'csv') {
    const parser = fs
      .createReadStream(file)
      .pipe(parseCsv({ columns: true, skip_empty_lines: true, bom: true }));
    for await (const rec of parser as AsyncIterable<Record<string, string>>) yield fromCsv(rec);
    return;
  }
  // Segment's archives are gzipped NDJSON (one file per hour); any .gz file is read through gunzip.
  const raw = fs.createReadStream(file);
  const lines = readline.createInterface({
    input: /\.gz$/i.test(file) ? raw.pipe(zlib.createGunzip()) : raw,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${file}:${n}: not valid JSON: ${(err as Error).message}`);
    }
  }
}

// A CSV row: a `data` column holding JSON is parsed; dotted columns (data.status) nest.
function fromCsv(rec: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    let value: unknown = v;
    if (k === 'data' && /^[[{]/.test(v.trim())) value = JSON.parse(v);
    const parts = k.split('.');
    let target = out;
    for (const p of parts.slice(0, -1)) {
      if (target[p] === undefined) target[p] = {};
      target = target[p] as Record<string, unknown>;
    }
    target[parts.at(-1)!] = value;
  }
  return out;
}
