import type { Logger } from 'pino';
import { Backoff } from '../core/backoff.js';
import { failpoint } from '../core/failpoint.js';
import type { DestinationConfig } from './config.js';
import type { Feed, FeedPage } from './feed.js';
import type { DestinationMetrics } from './metrics.js';
import type { Item, Outcome, Sender } from './sender.js';
import type { DestinationState, DestinationStates } from './state.js';

/** A Retry-After longer than this is taken as this: a receiver's typo must not stall a destination for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** What a loop is doing, for /status and the CLI. */
export type LoopActivity =
  | 'starting'
  | 'idle'
  | 'waiting for a batch'
  | 'delivering'
  | 'retrying'
  | 'sending dead letters again'
  | 'paused';

/**
 * One destination's delivery loop: reads what its feed has after its cursor (events, or a projection's
 * changes), sends it in batches, and moves the
 * cursor only after the receiver has them (at least once). Each destination has its own loop and its own
 * sender, so a receiver that hangs holds only its own loop: ingest and other destinations never wait for it.
 */
export class DestinationLoop {
  private stopped = false;
  private readonly abort = new AbortController();
  private wakeUp: ((byHand: boolean) => void) | undefined;
  private done: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  /** The cursor the buffered batch starts after, and the seq read up to (filtered-out events included). */
  private cursor = -1;
  private readTo = -1;
  private batch: { items: Item[]; bytes: number; full: boolean } = empty();
  /** The page after a full batch, read while that batch is being sent (reading and sending overlap). */
  private prefetched: { after: number; page: Promise<FeedPage> } | undefined;
  /** After a failure the same batch is retried as it was, so its Idempotency-Key stays the same. */
  private frozen = false;
  private loopError: string | null = null;
  activity: LoopActivity = 'starting';
  /** When `state` was read from the store (0: read it again before the next batch). */
  private stateAt = 0;
  state: DestinationState | undefined;

  constructor(
    readonly name: string,
    private readonly config: DestinationConfig,
    private readonly feed: Feed,
    private readonly states: DestinationStates,
    private readonly sender: Sender,
    private readonly metrics: DestinationMetrics,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff({
      initialMs: config.retry.initial,
      maxMs: config.retry.max,
      multiplier: 2,
      jitter: 0.5,
      // A delivery that succeeds ends the incident: the next failure starts again from the initial wait.
      stableAfterMs: 0,
    });
  }

  start(): void {
    this.done = this.run();
  }

  /**
   * New events (a commit), or a change made by hand (pause, resume, replay): look now instead of at the next
   * poll. A wait before a retry ends only by hand, or the backoff would not hold back.
   */
  wake(byHand = false): void {
    if (byHand) this.stateAt = 0; // a change by hand: read the state again
    this.wakeUp?.(byHand);
  }

  /** A problem of the loop itself (the store), not of the receiver. */
  get error(): string | null {
    return this.loopError;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake(true);
    await this.done;
    await this.sender.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.cycle();
        this.loopError = null;
      } catch (err) {
        if (this.stopped) break;
        this.loopError = (err as Error).message;
        this.log.error({ err, destination: this.name }, 'destination loop failed; trying again');
        await this.sleep(this.backoff.next());
      }
    }
  }

  private async cycle(): Promise<void> {
    // The state is read again at least every `poll` (a pause or replay made in another process shows within
    // it), after any change but the loop's own cursor moves, and when woken by hand; a busy loop that only
    // moves its cursor skips that read on most batches.
    let st = this.state;
    if (!st || Date.now() - this.stateAt >= this.config.poll) {
      st = await this.states.get(this.name);
      if (!st) throw new Error(`destination ${this.name} has no state row`);
      this.state = st;
      this.stateAt = Date.now();
    }
    if (st.paused) {
      this.activity = 'paused';
      this.reset(st.cursor);
      return this.sleep(this.config.poll);
    }
    // Dead letters asked for again go before new events, then the stream resumes where it was.
    if (st.redeliverRequestedAt) return this.redeliver(st.redeliverRequestedAt);
    if (st.cursor !== this.cursor) this.reset(st.cursor); // a replay, or first time round
    if (!this.frozen) await this.fill();
    if (this.batch.items.length === 0) {
      // Everything read was filtered out: the cursor moves past it, nothing is sent.
      if (this.readTo > this.cursor)
        return this.moved(await this.states.advance(this.name, this.cursor, this.readTo, null, new Date()));
      this.activity = 'idle';
      return this.sleep(this.config.poll);
    }
    const waitLeft = this.batch.items[0]!.receivedAt + this.config.batch.wait - Date.now();
    if (!this.batch.full && !this.frozen && waitLeft > 0) {
      this.activity = 'waiting for a batch';
      return this.sleep(waitLeft);
    }
    await this.deliver();
  }

  private async deliver(): Promise<void> {
    const { items } = this.batch;
    const retry = this.frozen;
    this.activity = retry ? 'retrying' : 'delivering';
    if (retry) this.metrics.retries.inc({ destination: this.name });
    const key = `${this.name}:${items[0]!.seq}-${items[items.length - 1]!.seq}`;
    if (this.batch.full && !retry) {
      const page = this.feed.read(this.readTo, this.config.batch.count);
      page.catch(() => undefined); // a failed read fails the fill that awaits it, not the process
      this.prefetched = { after: this.readTo, page };
    }
    const outcome = await this.sender.send({ destination: this.name, items, key }, this.abort.signal);
    if (this.stopped) return; // an attempt cut short by the stop: the cursor stays, the next start resends
    await this.settle(outcome);
  }

  private async settle(outcome: Outcome): Promise<void> {
    const now = new Date();
    const labels = { destination: this.name };
    const n = this.batch.items.length;
    if (outcome.kind === 'delivered') {
      this.metrics.delivered.inc(labels, n);
      this.backoff.succeeded();
      failpoint('destination.delivered'); // the receiver has them, the cursor has not moved: sent again
      return this.moved(await this.states.advance(this.name, this.cursor, this.readTo, outcome.status, now));
    }
    if (outcome.kind === 'refused') {
      this.metrics.deadLetters.inc(labels, n);
      this.log.warn(
        { destination: this.name, status: outcome.status, events: n },
        'destination refused events; kept as dead letters',
      );
      const letters = this.batch.items.map((i) => ({
        seq: i.seq,
        source: i.source,
        eventId: i.id,
        status: outcome.status,
        response: outcome.response,
      }));
      this.backoff.succeeded();
      return this.moved(await this.states.deadLetter(this.name, this.cursor, this.readTo, letters, now));
    }
    this.frozen = true;
    await this.failedAttempt(outcome);
  }

  // A failure to retry: recorded, the destination paused when it has failed for too long, else a wait.
  private async failedAttempt(outcome: Extract<Outcome, { kind: 'retry' }>): Promise<void> {
    const now = new Date();
    this.stateAt = 0; // its failing time and a pause are the store's to say
    this.metrics.failed.inc({ destination: this.name });
    const since = await this.states.failed(this.name, outcome.status, outcome.error, now);
    if (now.getTime() - since.getTime() >= this.config.pauseAfter) {
      const reason = `failing since ${since.toISOString()}: ${outcome.error}`.slice(0, 500);
      await this.states.pause(this.name, reason);
      this.log.error({ destination: this.name, reason }, 'destination paused after failing too long');
      return;
    }
    const wait =
      outcome.retryAfterMs !== undefined
        ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS)
        : this.backoff.next();
    this.log.warn({ destination: this.name, error: outcome.error, retryInMs: wait }, 'delivery failed');
    await this.sleep(wait, false);
  }

  // Sends requested dead letters again, a batch at a time: accepted ones leave the list, refused ones stay.
  private async redeliver(requestedAt: Date): Promise<void> {
    this.activity = 'sending dead letters again';
    this.stateAt = 0; // the request is cleared in the store when none is left
    this.reset(-1); // the stream's batch is read again afterwards
    const letters = await this.states.requestedDeadLetters(this.name, this.config.batch.count);
    if (letters.length === 0) return this.states.redelivered(this.name, requestedAt);
    const items: Item[] = [];
    const gone: number[] = [];
    for (const l of letters) {
      // Through the feed, so a shaped destination gets the shape again.
      const item = (await this.feed.read(l.seq - 1, 1)).items[0];
      if (item?.seq === l.seq) items.push(item);
      else gone.push(l.seq); // removed by retention since: nothing to send
    }
    await this.states.dropDeadLetters(this.name, gone);
    if (items.length === 0) return;
    const seqs = items.map((i) => i.seq);
    const key = `${this.name}:dead-letters:${seqs[0]}-${seqs[seqs.length - 1]}`;
    const batch = { destination: this.name, items, key };
    const outcome = await this.sender.send(batch, this.abort.signal);
    if (this.stopped) return;
    if (outcome.kind === 'delivered') {
      this.metrics.delivered.inc({ destination: this.name }, items.length);
      this.backoff.succeeded();
      return this.states.dropDeadLetters(this.name, seqs);
    }
    if (outcome.kind === 'refused')
      return this.states.refusedAgain(this.name, seqs, outcome.status, outcome.response, new Date());
    await this.failedAttempt(outcome);
  }

  // Reads the feed after readTo into the batch until it is full or the feed has no more for now.
  private async fill(): Promise<void> {
    const { count, bytes } = this.config.batch;
    const b = this.batch;
    while (!b.full) {
      const ahead = this.prefetched?.after === this.readTo ? this.prefetched.page : undefined;
      this.prefetched = undefined;
      const page = await (ahead ?? this.feed.read(this.readTo, count));
      for (const item of page.items) {
        if (b.items.length > 0 && b.bytes + item.text.length > bytes) {
          b.full = true;
          break;
        }
        b.items.push(item);
        b.bytes += item.text.length + 1;
        this.readTo = item.seq;
        if (b.items.length >= count) {
          b.full = true;
          break;
        }
      }
      // What was looked at and not taken was filtered out: the cursor may move past it.
      if (!b.full) this.readTo = Math.max(this.readTo, page.scannedTo);
      if (!page.more) break;
    }
  }

  // After a cursor move: on success the next batch starts where this one ended; else the state is read again.
  private moved(ok: boolean): void {
    if (ok && this.state) {
      // What the move wrote, so the next batch needs no read of the state.
      this.state = { ...this.state, cursor: this.readTo, failingSince: null, lastError: null };
      this.reset(this.readTo);
    } else {
      this.stateAt = 0;
      this.reset(-1);
    }
  }

  private reset(cursor: number): void {
    if (this.prefetched?.after !== cursor) this.prefetched = undefined;
    this.cursor = cursor;
    this.readTo = cursor;
    this.batch = empty();
    this.frozen = false;
  }

  // Sleeps ms, or until woken (by a commit or a change by hand) when wakeable.
  private sleep(ms: number, wakeable = true): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = (byHand) => {
        if (wakeable || byHand) done();
      };
    });
  }
}

function empty() {
  return { items: [] as Item[], bytes: 0, full: false };
}
