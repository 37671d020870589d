import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
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

/**
 * The log between collectors and workers in server mode: a JetStream stream (file storage, so an acknowledged
 * publish is on disk). The collector's group commit publishes here and answers once JetStream acknowledged;
 * workers pull through one durable consumer shared by all of them and acknowledge after the store committed.
 */
export class NatsLog {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    readonly options: NatsLogOptions,
  ) {}

  static async open(options: NatsLogOptions): Promise<NatsLog> {
    const nc = await connect({ servers: options.url });
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
    return new NatsLog(nc, jetstream(nc), options);
  }

  /** The collector's sink: durable once JetStream acknowledged every chunk. Seqs come later, from workers. */
  async append(events: readonly NewEvent[]): Promise<AppendResult> {
    const acks: Promise<unknown>[] = [];
    let chunk = '';
    for (const e of events) {
      const line = `${JSON.stringify(e)}\n`;
      if (chunk.length + line.length > MAX_MESSAGE_BYTES && chunk) {
        acks.push(this.js.publish(this.options.subject, chunk));
        chunk = '';
      }
      chunk += line;
    }
    if (chunk) acks.push(this.js.publish(this.options.subject, chunk));
    await Promise.all(acks);
    return { stored: [], duplicates: [] };
  }

  /** The shared durable consumer workers pull from. */
  consumer(): Promise<Consumer> {
    return this.js.consumers.get(this.options.stream, CONSUMER);
  }

  /** Messages not yet acknowledged by any worker (the lag /status shows). */
  async pending(): Promise<{ pending: number; ackPending: number }> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.consumers.info(this.options.stream, CONSUMER);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
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
