import { parseEventTime } from '../core/time.js';

/** How replay sends events. */
export interface ReplayOptions {
  /** Base URL of a running Panoramix, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The path events are posted to (default /v1/events). */
  readonly path: string;
  readonly key?: string;
  /** Events per request when not paced. */
  readonly batch: number;
  /** Paced by the events' own timestamps, sped up by this factor (1 = real time). */
  readonly speed?: number;
  /** Paced by a fixed delay between events, in ms. */
  readonly delayMs?: number;
  /** The longest wait between two paced events, in ms (the seed producer's cap). */
  readonly maxWaitMs: number;
  /** Field holding an event's time (for pacing and re-timing). */
  readonly timeField: string;
  /** Shift every timestamp so the last event is now. */
  readonly retime: boolean;
  readonly retries: number;
  readonly onProgress?: (p: ReplayProgress) => void;
}

/** Counts so far, reported after each request. */
export interface ReplayProgress {
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: string[];
}

/** Sends events to Panoramix over HTTP, as the orders-pipeline seed's producer did, retrying safely. */
export async function replay(
  source: AsyncIterable<Record<string, unknown>>,
  options: ReplayOptions,
): Promise<ReplayProgress> {
  const progress: ReplayProgress = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, errors: [] };
  let events: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>> = source;
  if (options.retime) events = await retimed(source, options.timeField);
  const paced = options.speed !== undefined || options.delayMs !== undefined;
  let batch: Record<string, unknown>[] = [];
  let lastTime: number | undefined;
  for await (const e of events) {
    if (paced) {
      const t = parseEventTime(e[options.timeField]);
      let wait = options.delayMs ?? 0;
      if (options.speed !== undefined && lastTime !== undefined && !Number.isNaN(t))
        wait = Math.max(0, (t - lastTime) / options.speed);
      if (!Number.isNaN(t)) lastTime = t;
      if (progress.sent > 0 && wait > 0) await sleep(Math.min(wait, options.maxWaitMs));
      await send([e], options, progress);
      continue;
    }
    batch.push(e);
    if (batch.length >= options.batch) {
      await send(batch, options, progress);
      batch = [];
    }
  }
  if (batch.length) await send(batch, options, progress);
  return progress;
}

async function send(
  events: Record<string, unknown>[],
  o: ReplayOptions,
  progress: ReplayProgress,
): Promise<void> {
  const body = events.map((e) => JSON.stringify(e)).join('\n');
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    let text = '';
    try {
      const res = await fetch(new URL(o.path, o.url), { method: 'POST', headers, body });
      status = res.status;
      text = await res.text();
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED 127.0.0.1:8080, a DNS error) is its cause.
      const cause = (err as Error & { cause?: Error }).cause;
      text = `could not reach ${o.url}: ${cause?.message ?? (err as Error).message}`;
    }
    // Retrying is safe: the (source, id) key stores each event once however often it is sent.
    if (status === 0 || status === 503 || status === 429 || status >= 500) {
      if (attempt >= o.retries)
        throw new Error(`giving up after ${attempt + 1} attempts: ${status ? `${status} ` : ''}${text}`);
      await sleep(Math.min(10_000, 200 * 2 ** attempt));
      continue;
    }
    const answer = safeJson(text);
    progress.sent += events.length;
    if (status >= 400 && !answer?.rejected?.length) throw new Error(`${status}: ${answer?.error ?? text}`);
    progress.accepted += answer?.accepted ?? 0;
    progress.duplicates += answer?.duplicates ?? 0;
    progress.rejected += answer?.rejected?.length ?? 0;
    for (const r of answer?.rejected ?? []) if (progress.errors.length < 20) progress.errors.push(r.error);
    o.onProgress?.(progress);
    return;
  }
}

async function retimed(
  source: AsyncIterable<Record<string, unknown>>,
  field: string,
): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for await (const e of source) {
    all.push(e);
    const t = parseEventTime(e[field]);
    if (!Number.isNaN(t)) max = Math.max(max, t);
  }
  if (!Number.isFinite(max)) return all;
  const shift = Date.now() - max;
  for (const e of all) {
    const t = parseEventTime(e[field]);
    if (!Number.isNaN(t)) e[field] = new Date(t + shift).toISOString();
  }
  return all;
}

function safeJson(
  text: string,
): { accepted?: number; duplicates?: number; rejected?: { error: string }[]; error?: string } | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
