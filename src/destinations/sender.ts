/** One thing a destination receives: an event, or a change of a projection's row (see payload.ts). */
export interface Item {
  /** The event's seq, or the highest seq of the events that changed the row. */
  readonly seq: number;
  /** What a receiver deduplicates on. */
  readonly key: string;
  /** For subject and routing-key templates: the event's source and type, or the projection and 'change'. */
  readonly source: string;
  readonly type: string;
  /** The event's id, or the changed row's key as JSON: how a dead letter names it. */
  readonly id: string;
  /** When Panoramix received the event (epoch ms): a batch waits for more from its first item's. */
  readonly receivedAt: number;
  /** The JSON text sent. */
  readonly text: string;
}

/** One delivery: items in seq order, and the batch's key. */
export interface Batch {
  readonly destination: string;
  readonly items: readonly Item[];
  /** The same for every attempt at this batch: `Idempotency-Key` of a webhook request. */
  readonly key: string;
}

/** What one attempt came to. */
export type Outcome =
  /** The receiver has the events: the cursor moves past them. */
  | { readonly kind: 'delivered'; readonly status: number | null }
  /** Try again later (5xx, 429, 408, a timeout, a connection error); retryAfterMs when the receiver said. */
  | {
      readonly kind: 'retry';
      readonly status: number | null;
      readonly error: string;
      readonly retryAfterMs?: number;
    }
  /** The receiver refused the events for good (another 4xx): they go to the dead letters. */
  | { readonly kind: 'refused'; readonly status: number; readonly response: string };

/** Sends batches to one destination; `signal` aborts an attempt when the process stops. */
export interface Sender {
  send(batch: Batch, signal: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}

/** The text of an error, with the cause's code when there is one (fetch says only "fetch failed"). */
export function errorText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message}: ${cause}` : String(e?.message ?? err);
}

/**
 * Rejects after ms, or when the signal aborts (the process stops): a broker that neither confirms nor fails
 * would otherwise hold its loop, and the shutdown, for ever.
 */
export function within<T>(ms: number, what: string, p: Promise<T>, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no confirmation within ${ms} ms`)), ms);
    onAbort = () => reject(new Error(`${what}: stopped`));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  p.catch(() => undefined); // a rejection after the race is over is not unhandled
  return Promise.race([p, late]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}
