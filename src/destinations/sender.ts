import type { StoredEvent } from '../core/event.js';

/** One delivery: events in seq order, each already serialized (see payload.ts), and the batch's key. */
export interface Batch {
  readonly destination: string;
  readonly events: readonly StoredEvent[];
  readonly texts: readonly string[];
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
