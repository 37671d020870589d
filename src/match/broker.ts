import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { Loss, type Session } from '../core/supervisor.js';

/** The queues and exchange matching uses, named from one prefix. */
export interface MatchQueues {
  readonly importPayment: string;
  readonly importScheme: string;
  readonly jobs: string;
  readonly exportExchange: string;
  readonly exportQueue: string;
  /** Every export lands here too (same exchange, one routing): the record of what was really published. */
  readonly ledger: string;
}

export function queueNames(prefix: string, exportQueue: string): MatchQueues {
  return {
    importPayment: `${prefix}.import.payment`,
    importScheme: `${prefix}.import.scheme`,
    jobs: `${prefix}.jobs`,
    exportExchange: `${prefix}.export`,
    exportQueue,
    ledger: `${prefix}.export.ledger`,
  };
}

/** A consumed message, settled by the batch handler's outcome. */
export interface Delivery {
  readonly body: Buffer;
  readonly headers: Record<string, unknown>;
}

/**
 * The RabbitMQ port of matching: import queues in, a job queue between importer and matching worker, and a
 * fanout export exchange bound to the export queue and to our ledger queue. A message routed by a fanout
 * exchange reaches both queues or neither, so after a crash the ledger says which exports were published.
 *
 * One MatchBroker is one connection (a supervised session): once it is lost it stays lost, and nothing is
 * settled on it any more (RabbitMQ requeues what it delivered); the matching service opens a new one.
 */
export class MatchBroker implements Session {
  private consumers: Channel[] = [];
  lastError: string | null = null;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly publisher: ConfirmChannel,
    private readonly ledgerChannel: Channel,
    readonly queues: MatchQueues,
    private readonly loss: Loss,
  ) {}

  /** Settles when the connection is lost (or closed by us). */
  get lost(): Promise<Error | undefined> {
    return this.loss.lost;
  }

  /** Whether the connection is still the one messages arrived on (false once lost). */
  get connected(): boolean {
    return this.loss.live;
  }

  static async connect(url: string, queues: MatchQueues): Promise<MatchBroker> {
    const connection = await amqp.connect(url);
    const loss = new Loss();
    connection.on('error', (err: Error) => loss.note(err));
    connection.on('close', (err?: Error) => loss.mark(err));
    // A channel the broker closes (an error on it) ends the session, so a new one declares everything again.
    const endOnClose = (ch: Channel) => {
      ch.on('error', (err: Error) => loss.note(err));
      ch.on('close', () => {
        if (!loss.live) return;
        loss.mark(new Error('a channel was closed'));
        void connection.close().catch(() => undefined);
      });
    };
    try {
      const publisher = await connection.createConfirmChannel();
      for (const q of [
        queues.importPayment,
        queues.importScheme,
        queues.jobs,
        queues.exportQueue,
        queues.ledger,
      ])
        await publisher.assertQueue(q, { durable: true });
      await publisher.assertExchange(queues.exportExchange, 'fanout', { durable: true });
      await publisher.bindQueue(queues.exportQueue, queues.exportExchange, '');
      await publisher.bindQueue(queues.ledger, queues.exportExchange, '');
      const ledgerChannel = await connection.createChannel();
      endOnClose(publisher);
      endOnClose(ledgerChannel);
      return new MatchBroker(connection, publisher, ledgerChannel, queues, loss);
    } catch (err) {
      loss.mark();
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  /** Publishes persistent JSON messages to a queue and waits for the broker's confirms. */
  async send(queue: string, messages: readonly unknown[]): Promise<void> {
    for (const m of messages)
      this.publisher.sendToQueue(queue, Buffer.from(JSON.stringify(m)), {
        persistent: true,
        contentType: 'application/json',
      });
    await this.publisher.waitForConfirms();
  }

  /** Publishes exports (id → body) through the export exchange and waits for the confirms. */
  async publishExports(messages: readonly { id: number; body: string }[]): Promise<void> {
    for (const m of messages)
      this.publisher.publish(this.queues.exportExchange, '', Buffer.from(m.body), {
        persistent: true,
        contentType: 'application/json',
        messageId: String(m.id),
        headers: { matched_transaction_id: m.id },
      });
    await this.publisher.waitForConfirms();
  }

  /**
   * Takes what the ledger holds: the ids of exports that really were published. `settle` records them, and
   * only then are they acknowledged, so a crash in between gives them to the next drain again.
   */
  async drainLedger(settle: (ids: number[]) => Promise<void>, max = 10_000): Promise<number> {
    const taken: { id: number; msg: amqp.GetMessage }[] = [];
    while (taken.length < max) {
      const msg = await this.ledgerChannel.get(this.queues.ledger, { noAck: false });
      if (!msg) break;
      taken.push({ id: Number(msg.properties.messageId), msg });
    }
    if (taken.length === 0) return 0;
    await settle(taken.map((t) => t.id).filter(Number.isFinite));
    // Recorded: a lost channel gives them back to the ledger, and recording them again changes nothing.
    if (this.loss.live) for (const t of taken) this.ledgerChannel.ack(t.msg);
    return taken.length;
  }

  /**
   * Consumes a queue in batches (up to prefetch, or what came within batchMs). A batch is acknowledged after
   * `handle` resolves, and given back to the queue when it throws.
   */
  async consume(
    queue: string,
    prefetch: number,
    batchMs: number,
    handle: (batch: Delivery[]) => Promise<void>,
  ): Promise<void> {
    const ch = await this.connection.createChannel();
    this.consumers.push(ch);
    const { loss } = this;
    ch.on('error', (err: Error) => loss.note(err));
    ch.on('close', () => {
      if (!loss.live) return;
      loss.mark(new Error(`the channel consuming ${queue} was closed`));
      void this.connection.close().catch(() => undefined);
    });
    await ch.prefetch(prefetch);
    let pending: ConsumeMessage[] = [];
    let timer: NodeJS.Timeout | undefined;
    let chain = Promise.resolve();
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      chain = chain
        .then(async () => {
          try {
            await handle(batch.map((m) => ({ body: m.content, headers: m.properties.headers ?? {} })));
            // Delivery tags belong to this channel: once it is lost, RabbitMQ has requeued the batch.
            if (loss.live) for (const m of batch) ch.ack(m);
          } catch (err) {
            this.lastError = (err as Error).message;
            if (loss.live) for (const m of batch) ch.nack(m, false, true);
          }
        })
        .catch(() => undefined);
    };
    await ch.consume(queue, (msg) => {
      if (!msg) {
        loss.mark(new Error(`RabbitMQ cancelled the consumer of ${queue}`));
        void this.connection.close().catch(() => undefined);
        return;
      }
      pending.push(msg);
      if (pending.length >= prefetch) flush();
      else if (!timer) timer = setTimeout(flush, batchMs);
    });
  }

  /** Messages waiting in a queue. */
  async depth(queue: string): Promise<number> {
    const q = await this.ledgerChannel.checkQueue(queue);
    return q.messageCount;
  }

  async close(): Promise<void> {
    const live = this.loss.live;
    this.loss.mark();
    if (live) for (const ch of this.consumers) await ch.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
