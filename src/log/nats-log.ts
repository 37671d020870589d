import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { SinkUnavailableError } from '../collect/group-commit.js';
import { type BackoffSettings, defaultBackoff } from '../core/backoff.js';
import { ConnectionWatch, sleep } from '../core/connection-watch.js';
import type { NewEvent } from '../core/event.js';
import { parseEventTime } from '../core/time.js';
import type { AppendResult } from '../store/store.js';

/** Where the log lives. */
export interface NatsLogOptions {
  readonly url: string;
  readonly stream: string;
  readonly subject: string;
  readonly ackWaitSeconds?: number;
}

// JetStream's default largest message is 1 MB: batches are cut below it.
const MAX_MESSAGE_BYTES = 512 * 1024;
const CONSUMER = 'panoramix-workers';

/** The shared durable consumer's name (for operators inspecting the stream). */
export const WORKER_CONSUMER = CONSUMER;

/** One message of the log, as a worker holds it until it is acknowledged. */
export type LogMessage = JsMsg;

/** The connection's name in /status, /metrics and the log lines. */
export const LOG_CONNECTION = 'log (NATS)';

/**
 * The log between collectors and workers in server mode: a JetStream stream (file storage, so an acknowledged
 * publish is on disk). The collector's group commit publishes here and answers once JetStream acknowledged;
 * workers pull through one durable consumer shared by all of them and acknowledge after the store committed.
 *
 * The connection is supervised: opening never fails (a NATS that is down at start is retried in the
 * background), a lost connection is retried for ever with the configured backoff, and the stream and consumer
 * are declared again after every reconnect (a NATS restarted without its data has neither).
 */
export class NatsLog {
  readonly watch: ConnectionWatch;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private readonly closing = new AbortController();
  private upWaiters: (() => void)[] = [];
  private readonly connecting: Promise<void>;

  private constructor(
    readonly options: NatsLogOptions,
    logger: Logger,
    settings: BackoffSettings,
  ) {
    this.watch = new ConnectionWatch(LOG_CONNECTION, logger, settings);
    this.connecting = this.connectLoop();
  }

  /** Starts connecting (in the background) and returns at once: see the class comment. */
  static open(options: NatsLogOptions, logger: Logger, settings: BackoffSettings = defaultBackoff): NatsLog {
    return new NatsLog(options, logger, settings);
  }

  private async connectLoop(): Promise<void> {
    while (!this.closing.signal.aborted) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connect({
          servers: this.options.url,
          // The client reconnects by itself once it has connected; never giving up, at our backoff's pace.
          maxReconnectAttempts: -1,
          reconnectDelayHandler: () => this.watch.nextWait(),
          timeout: 5000,
        });
        await this.declare(nc);
        this.nc = nc;
        this.js = jetstream(nc);
        this.connected = true;
        this.setUp();
        void this.follow(nc);
        return;
      } catch (err) {
        await nc?.close().catch(() => undefined);
        await sleep(this.watch.failed(err), this.closing.signal);
      }
    }
  }

  // The stream and the workers' durable consumer, created when missing.
  private async declare(nc: NatsConnection): Promise<void> {
    const { options } = this;
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(options.stream);
    } catch {
      await jsm.streams.add({ name: options.stream, subjects: [options.subject] });
    }
    try {
      await jsm.consumers.info(options.stream, CONSUMER);
    } catch {
      await jsm.consumers.add(options.stream, {
        durable_name: CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        // A worker that died holding a batch: after this wait, another worker gets it again.
        ack_wait: Math.round((options.ackWaitSeconds ?? 30) * 1e9),
        max_ack_pending: 10_000,
      });
    }
  }

  // Follows the client's own reconnects: down on a disconnect, up once the stream is declared again.
  private async follow(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.setDown(new Error(`lost the connection to ${this.options.url}`));
      } else if (s.type === 'reconnect') {
        this.connected = true;
        void this.redeclare(nc);
      }
    }
    // The iterator ends when the connection closed: by close(), or by the client giving up (never, as set).
    if (!this.closing.signal.aborted) {
      this.setDown(new Error('the NATS connection closed'));
      this.nc = undefined;
      this.js = undefined;
      await this.connectLoop();
    }
  }

  private connected = true;
  private redeclaring = false;

  // After a reconnect: the stream and consumer again, retried with the backoff while JetStream refuses (a
  // server that is still starting); up only once they exist, so nothing is published into the void.
  private async redeclare(nc: NatsConnection): Promise<void> {
    if (this.redeclaring) return;
    this.redeclaring = true;
    try {
      while (this.connected && !this.closing.signal.aborted) {
        try {
          await this.declare(nc);
          if (this.connected) this.setUp();
          return;
        } catch (err) {
          this.setDown(err as Error);
          await sleep(this.watch.nextWait(), this.closing.signal);
        }
      }
    } finally {
      this.redeclaring = false;
    }
  }

  // Appends in flight when the connection drops: refused at once (their publishes may still land after the
  // reconnect; the client was told 503, retries, and the (source, id) key stores the event once).
  private inFlight = new Set<(err: Error) => void>();

  private setDown(err: Error): void {
    this.watch.down(err);
    for (const reject of this.inFlight) reject(this.unavailable());
    this.inFlight.clear();
  }

  private setUp(): void {
    this.watch.up();
    for (const w of this.upWaiters.splice(0)) w();
  }

  /** Resolves once the log is connected (at once when it is), when it is closed, or when signal aborts. */
  whenUp(signal?: AbortSignal): Promise<void> {
    if (this.watch.isUp || this.closing.signal.aborted || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        this.upWaiters = this.upWaiters.filter((w) => w !== done);
        resolve();
      };
      this.upWaiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private unavailable(): SinkUnavailableError {
    return new SinkUnavailableError(
      `the log (NATS) is unreachable (${this.watch.state.lastError ?? 'not connected yet'}); nothing was accepted`,
      this.watch.retryAfterSeconds(),
    );
  }

  /**
   * The collector's sink: durable once JetStream acknowledged every chunk. Seqs come later, from workers.
   * While the connection is down it refuses at once (the client would otherwise buffer the publish and the
   * request would wait for a reconnect that may be far away).
   */
  async append(events: readonly NewEvent[]): Promise<AppendResult> {
    const js = this.js;
    if (!js || !this.watch.isUp) throw this.unavailable();
    const acks: Promise<unknown>[] = [];
    let chunk = '';
    for (const e of events) {
      const line = `${JSON.stringify(e)}\n`;
      if (chunk.length + line.length > MAX_MESSAGE_BYTES && chunk) {
        acks.push(js.publish(this.options.subject, chunk));
        chunk = '';
      }
      chunk += line;
    }
    if (chunk) acks.push(js.publish(this.options.subject, chunk));
    let reject!: (err: Error) => void;
    const lost = new Promise<never>((_, r) => {
      reject = r;
    });
    this.inFlight.add(reject);
    try {
      await Promise.race([Promise.all(acks), lost]);
    } finally {
      this.inFlight.delete(reject);
      // A publish refused by the race still settles later; its rejection is the race's, already answered.
      for (const a of acks) a.catch(() => undefined);
    }
    return { stored: [], duplicates: [] };
  }

  /** The shared durable consumer workers pull from (waits for the connection; declared again if missing). */
  async consumer(signal?: AbortSignal): Promise<Consumer> {
    await this.whenUp(signal);
    if (!this.js || !this.nc) throw this.unavailable();
    try {
      return await this.js.consumers.get(this.options.stream, CONSUMER);
    } catch {
      await this.declare(this.nc);
      return this.js.consumers.get(this.options.stream, CONSUMER);
    }
  }

  /** Messages not yet acknowledged by any worker (the lag /status shows). */
  async pending(): Promise<{ pending: number; ackPending: number }> {
    if (!this.nc || !this.watch.isUp) throw this.unavailable();
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.consumers.info(this.options.stream, CONSUMER);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const w of this.upWaiters.splice(0)) w();
    await this.connecting;
    // A drain waits to flush, which a connection that is down never does.
    if (this.watch.isUp) await this.nc?.drain().catch(() => undefined);
    else await this.nc?.close().catch(() => undefined);
  }
}

/** A line of a log message that is not an event: kept by the worker in the quarantine, never retried. */
export interface UndecodableLine {
  readonly raw: string;
  readonly error: string;
  readonly source?: string;
}

/**
 * Decodes one log message back into events, line by line. Only collectors publish here, but a line that is
 * not an event (another version's format, a hand-published test message) must not fail its batch: the
 * batch would be redelivered and fail again for ever, holding back every good event fetched with it.
 */
export function decodeMessage(data: Uint8Array): { events: NewEvent[]; bad: UndecodableLine[] } {
  const events: NewEvent[] = [];
  const bad: UndecodableLine[] = [];
  for (const line of new TextDecoder().decode(data).split('\n')) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      bad.push({ raw: line, error: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const problem = eventShapeProblem(v);
    if (problem === null) events.push(v as NewEvent);
    else {
      const source = (v as { source?: unknown } | null)?.source;
      bad.push({ raw: line, error: problem, ...(typeof source === 'string' ? { source } : {}) });
    }
  }
  return { events, bad };
}

// What the collector publishes: a whole NewEvent, with a time the stores can hold.
function eventShapeProblem(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const e = v as Record<string, unknown>;
  for (const k of ['source', 'id', 'type', 'data'] as const)
    if (typeof e[k] !== 'string') return `${k} is not a string`;
  if (e.subject !== null && typeof e.subject !== 'string') return 'subject is not a string or null';
  if (e.ceSource !== undefined && typeof e.ceSource !== 'string') return 'ceSource is not a string';
  if (e.ceAttributes !== undefined && e.ceAttributes !== null && typeof e.ceAttributes !== 'string')
    return 'ceAttributes is not a string or null';
  if (Number.isNaN(parseEventTime(e.time))) return 'time is not an event time (epoch milliseconds)';
  if (typeof e.receivedAt !== 'number' || !Number.isFinite(e.receivedAt)) return 'receivedAt is not a number';
  return null;
}
