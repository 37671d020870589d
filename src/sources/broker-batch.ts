import { Backoff } from '../core/backoff.js';
import type { NewEvent } from '../core/event.js';
import type { QuarantineInput } from '../quarantine/quarantine.js';
import type { Runtime } from '../runtime.js';

/**
 * A message from a broker: its bytes, and how to settle it once the batch is durable (or not). A source drops
 * the settlement of a message whose connection was lost since it arrived: the broker delivers it again, and a
 * delivery tag or packet id sent on a newer connection would settle some other message.
 */
export interface BrokerMessage {
  readonly body: Buffer | Uint8Array;
  ack(): void;
  nack(): void;
}

/** What a broker source has done, for /status (its connection reports beside it). */
export interface SourceStats {
  consumed: number;
  stored: number;
  quarantined: number;
  lastMessageAt: string | null;
  /** Batches that could not be stored (each given back to the broker after a backoff wait). */
  failedBatches: number;
  /** The last batch that could not be stored (the connection reports its own errors). */
  lastBatchError: string | null;
}

/**
 * The part every broker source shares: messages gather into batches; each batch is read with the source's
 * mapping and tracking plan; what passes is group-committed, what does not is quarantined; only then are the
 * messages acknowledged. A failure settles them negatively, so the broker delivers them again, and the
 * store's exactly-once key keeps them once; but only after a backoff wait (the `reconnect` settings), since the
 * broker redelivers at once and a store or log that is down would otherwise be retried in a tight loop.
 * Holding the batch meanwhile also fills the broker's window of unacknowledged messages, so it sends no more.
 */
export class BrokerBatcher {
  readonly stats: SourceStats = {
    consumed: 0,
    stored: 0,
    quarantined: 0,
    lastMessageAt: null,
    failedBatches: 0,
    lastBatchError: null,
  };
  private pending: BrokerMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly source: string,
    private readonly batchSize: number,
    private readonly batchMs: number,
  ) {
    this.backoff = new Backoff(runtime.config.reconnect);
  }

  /** At stop: a failed batch is given back at once, without the backoff wait. */
  stopWaiting(): void {
    this.stopping = true;
    this.wake?.();
  }

  push(msg: BrokerMessage): void {
    this.pending.push(msg);
    if (this.pending.length >= this.batchSize) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  /** Writes what is pending and waits for every batch under way. */
  async drain(): Promise<void> {
    this.flush();
    await this.flushing;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length) this.flushing = this.flushing.then(() => this.write(batch));
  }

  private async write(batch: BrokerMessage[]): Promise<void> {
    const { source, runtime } = this;
    const read = runtime.ingest.readerFor(source);
    const events: NewEvent[] = [];
    const held: QuarantineInput[] = [];
    const now = Date.now();
    for (const msg of batch) {
      const raw = Buffer.from(msg.body);
      let value: unknown;
      try {
        value = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        held.push({
          source,
          raw,
          reason: 'unparseable',
          error: `message is not valid JSON: ${(err as Error).message}`,
        });
        continue;
      }
      // The queue decides the Panoramix source, as a write key does; a message's own `source` is its
      // CloudEvents source, kept as sent (and held to the source's cloudevents.sources, if it lists any).
      const envelope = read(value, source, now);
      if (!envelope.ok) {
        if (runtime.ingest.mayHold(value))
          held.push({ source, raw, reason: 'envelope', field: envelope.field, error: envelope.error });
        continue;
      }
      // An erased subject's message is acknowledged and dropped: neither stored nor held with its bytes.
      if (runtime.ingest.erased(envelope.event)) continue;
      // The checks of an ingest (cloudevents.sources, the types' contracts, the time, the tracking plan): a
      // broker cannot read an error, so whatever refuses or holds a message holds it.
      const r = runtime.ingest.judge(envelope.event);
      if (r.kind !== 'ok') {
        if (r.reason === 'suppressed') continue;
        held.push({
          source,
          raw,
          reason: r.reason,
          field: r.field,
          error: r.error,
          ...(r.reason === 'forbidden' ? {} : { type: envelope.event.type }),
        });
        continue;
      }
      events.push(r.event);
    }
    try {
      if (held.length) await runtime.quarantine.put(held);
      const result = events.length ? await runtime.committer.submit(events) : { stored: [] };
      for (const msg of batch) settle(() => msg.ack());
      this.stats.consumed += batch.length;
      this.stats.stored += result.stored.length;
      this.stats.quarantined += held.length;
      this.stats.lastMessageAt = new Date().toISOString();
      this.stats.lastBatchError = null;
      this.backoff.succeeded();
      if (events.length) runtime.telemetry.accepted(source, events.length);
    } catch (err) {
      this.stats.failedBatches++;
      this.stats.lastBatchError = (err as Error).message;
      await this.pause();
      for (const msg of batch) settle(() => msg.nack());
    }
  }

  private async pause(): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.backoff.next());
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}

/** Settles one message; a client that throws because its connection just closed leaves it to the broker. */
function settle(fn: () => void): void {
  try {
    fn();
  } catch {
    // The broker redelivers what was not settled; the store's exactly-once key keeps it once.
  }
}
