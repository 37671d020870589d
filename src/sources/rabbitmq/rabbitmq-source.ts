import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { NewEvent } from '../../core/event.js';
import type { QuarantineInput } from '../../quarantine/quarantine.js';
import type { Runtime } from '../../runtime.js';

/** A RabbitMQ queue feeding one source. */
export interface RabbitMqSourceOptions {
  readonly source: string;
  readonly url: string;
  readonly queue: string;
  /** Messages in flight (unacknowledged) at once: the batch size. */
  readonly prefetch: number;
  /** How long a partial batch waits for more messages before it is written. */
  readonly batchMs: number;
}

/** What the source has done, for /status. */
export interface SourceStats {
  connected: boolean;
  consumed: number;
  stored: number;
  quarantined: number;
  lastMessageAt: string | null;
  lastError: string | null;
}

/**
 * Consumes a durable queue in batches: each message is read with the source's mapping and checked like an
 * HTTP event; what passes is group-committed, what does not is quarantined, and only then are the messages
 * acknowledged. A crash before the ack redelivers them; the (source, id) key stores each event once.
 */
export class RabbitMqSource {
  readonly stats: SourceStats = {
    connected: false,
    consumed: 0,
    stored: 0,
    quarantined: 0,
    lastMessageAt: null,
    lastError: null,
  };
  private connection: ChannelModel | undefined;
  private channel: Channel | undefined;
  private pending: ConsumeMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly runtime: Runtime,
    private readonly options: RabbitMqSourceOptions,
  ) {}

  async start(): Promise<void> {
    this.connection = await amqp.connect(this.options.url);
    this.connection.on('error', (err: Error) => {
      this.stats.lastError = err.message;
    });
    this.connection.on('close', () => {
      this.stats.connected = false;
    });
    this.channel = await this.connection.createChannel();
    await this.channel.assertQueue(this.options.queue, { durable: true });
    await this.channel.prefetch(this.options.prefetch);
    this.stats.connected = true;
    await this.channel.consume(this.options.queue, (msg) => {
      if (!msg) return;
      this.pending.push(msg);
      if (this.pending.length >= this.options.prefetch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.batchMs);
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    await this.flushing;
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    this.stats.connected = false;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.flushing = this.flushing.then(() => this.write(batch));
  }

  private async write(batch: ConsumeMessage[]): Promise<void> {
    const { source } = this.options;
    const read = this.runtime.ingest.readerFor(source);
    const events: NewEvent[] = [];
    const held: QuarantineInput[] = [];
    const now = Date.now();
    for (const msg of batch) {
      let value: unknown;
      try {
        value = JSON.parse(msg.content.toString('utf8'));
      } catch (err) {
        held.push({
          source,
          raw: msg.content,
          reason: 'unparseable',
          error: `message is not valid JSON: ${(err as Error).message}`,
        });
        continue;
      }
      const named =
        value && typeof value === 'object' ? (value as Record<string, unknown>).source : undefined;
      if (typeof named === 'string' && named !== source) {
        held.push({
          source,
          raw: msg.content,
          reason: 'forbidden',
          field: 'source',
          error: `source "${named}" arrived on the queue of source "${source}"`,
        });
        continue;
      }
      const r = read(value, source, now);
      if (!r.ok) {
        held.push({ source, raw: msg.content, reason: 'envelope', field: r.field, error: r.error });
        continue;
      }
      const v = this.runtime.ingest.verdict(r.event);
      // A broker cannot read an error: reject and quarantine both hold the message.
      if (v.action === 'reject' || v.action === 'quarantine') {
        held.push({
          source,
          raw: msg.content,
          reason: v.reason,
          field: v.field,
          error: v.error,
          type: r.event.type,
        });
        continue;
      }
      events.push(r.event);
    }
    try {
      if (held.length) await this.runtime.quarantine.put(held);
      const result = events.length ? await this.runtime.committer.submit(events) : { stored: [] };
      for (const msg of batch) this.channel!.ack(msg);
      this.stats.consumed += batch.length;
      this.stats.stored += result.stored.length;
      this.stats.quarantined += held.length;
      this.stats.lastMessageAt = new Date().toISOString();
      this.stats.lastError = null;
      if (events.length) this.runtime.telemetry.accepted(source, events.length);
    } catch (err) {
      // Not durable: give the messages back to the broker, to be delivered again.
      this.stats.lastError = (err as Error).message;
      for (const msg of batch) this.channel!.nack(msg, false, true);
    }
  }
}
