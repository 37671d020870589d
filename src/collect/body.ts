/** One input of a request body: its position and either its parsed value or why it could not be read. */
export interface BodyItem {
  readonly index: number;
  /** 1-based line, for NDJSON bodies. */
  readonly line?: number;
  readonly value?: unknown;
  readonly error?: string;
  /** The input as received, when it is cheap to keep (an NDJSON line); else re-serialized on rejection. */
  readonly raw?: string | Buffer;
}

/** A body that cannot be read at all: the status and the sentence to answer with. */
export interface BodyFailure {
  readonly status: 400 | 413 | 415;
  readonly error: string;
}

export type BodyKind = 'single' | 'batch' | 'json' | 'ndjson';

const KINDS: Record<string, BodyKind> = {
  'application/cloudevents+json': 'single',
  'application/cloudevents-batch+json': 'batch',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/jsonlines': 'ndjson',
};

export const SUPPORTED_CONTENT_TYPES = Object.keys(KINDS);

/** The body kind a Content-Type names, or undefined when it is not one Panoramix reads. */
export function bodyKind(contentType: string | undefined): BodyKind | undefined {
  const base = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  return KINDS[base];
}

const strict = new TextDecoder('utf-8', { fatal: true });

/** Splits a request body into its events; a malformed NDJSON line fails that line only. */
export function parseBody(body: Buffer, kind: BodyKind, maxEvents: number): BodyItem[] | BodyFailure {
  if (kind === 'ndjson') return parseLines(body, maxEvents);
  let text: string;
  try {
    text = strict.decode(body);
  } catch {
    return {
      status: 400,
      error: `body is not valid UTF-8 (first invalid byte at offset ${firstInvalidUtf8(body)})`,
    };
  }
  if (text.trim() === '')
    return { status: 400, error: 'body is empty; send an event, an array of events or NDJSON' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { status: 400, error: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (kind === 'batch' && !Array.isArray(value)) {
    return { status: 400, error: 'application/cloudevents-batch+json must be a JSON array of events' };
  }
  if (kind === 'single' && Array.isArray(value)) {
    return {
      status: 400,
      error:
        'application/cloudevents+json must be one event; send arrays as application/cloudevents-batch+json',
    };
  }
  const values = Array.isArray(value) ? value : [value];
  if (values.length > maxEvents) return tooMany(values.length, maxEvents);
  return values.map((v, index) => ({ index, value: v }));
}

function parseLines(body: Buffer, maxEvents: number): BodyItem[] | BodyFailure {
  let text: string | undefined;
  try {
    text = strict.decode(body);
  } catch {
    text = undefined; // decode line by line below, so one bad line costs only itself
  }
  const items: BodyItem[] = [];
  let index = 0;
  let line = 0;
  let start = 0;
  const len = text !== undefined ? text.length : body.length;
  while (start <= len) {
    let end = text !== undefined ? text.indexOf('\n', start) : body.indexOf(10, start);
    if (end === -1) end = len;
    line++;
    const lineStart = start;
    const raw = text !== undefined ? text.slice(start, end) : decodeLine(body, start, end);
    start = end + 1;
    if (raw === null) {
      items.push({
        index: index++,
        line,
        error: `line ${line} is not valid UTF-8`,
        raw: body.subarray(lineStart, end),
      });
      continue;
    }
    const trimmed = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (trimmed.trim() === '') continue;
    if (index >= maxEvents) return tooMany(countLines(body), maxEvents);
    let item: BodyItem;
    try {
      item = { index, line, value: JSON.parse(trimmed), raw: trimmed };
    } catch (err) {
      item = {
        index,
        line,
        error: `line ${line} is not valid JSON: ${(err as Error).message}`,
        raw: trimmed,
      };
    }
    items.push(item);
    index++;
  }
  if (items.length === 0) return { status: 400, error: 'body is empty; send one JSON event per line' };
  return items;
}

function decodeLine(body: Buffer, start: number, end: number): string | null {
  try {
    return strict.decode(body.subarray(start, end));
  } catch {
    return null;
  }
}

function countLines(body: Buffer): number {
  let n = 0;
  for (const l of body.toString('utf8').split('\n')) if (l.trim() !== '') n++;
  return n;
}

function tooMany(n: number, max: number): BodyFailure {
  return {
    status: 413,
    error: `request holds ${n} events; the limit is ${max} events per request (server.maxEventsPerRequest)`,
  };
}

function firstInvalidUtf8(body: Buffer): number {
  let lo = 0;
  let hi = body.length;
  // Binary search for the shortest invalid prefix; a cut inside a valid multi-byte character is tolerated
  // by decoding with stream: true.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  // lo is the byte whose arrival made the text invalid; an unfinished sequence before it is where it went wrong.
  let j = lo - 1;
  while (j >= 0 && lo - j < 4 && (body[j]! & 0xc0) === 0x80) j--;
  const lead = j >= 0 ? body[j]! : 0;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > lo - j ? j : lo;
}
