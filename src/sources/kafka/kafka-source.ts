import { Kafka } from 'kafkajs';
import { Loss, type Session } from '../../core/supervisor.js';
import type { Runtime } from '../../runtime.js';
import { SupervisedSource } from '../supervised-source.js';

/** Kafka topics feeding one source. UNTESTED against a live broker: there is no Kafka broker on these machines. */
export interface KafkaSourceOptions {
  readonly source: string;
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly batchMs: number;
}

/**
 * Consumes with kafkajs in batches and commits offsets only after each batch is durable (stored or
 * quarantined); a crash before the commit makes the group read the batch again, and the (source, id) key
 * stores it once. kafkajs does not restart a crashed consumer here: the supervisor opens a new one with the
 * configured backoff, and the group continues from its committed offsets.
 */
export class KafkaSource extends SupervisedSource {
  constructor(
    runtime: Runtime,
    private readonly options: KafkaSourceOptions,
  ) {
    super(runtime, options.source, 'kafka', 10_000, options.batchMs);
  }

  protected async open(): Promise<Session> {
    const o = this.options;
    const kafka = new Kafka({ clientId: `panoramix-${o.source}`, brokers: [...o.brokers] });
    const consumer = kafka.consumer({ groupId: o.groupId, retry: { restartOnFailure: async () => false } });
    const loss = new Loss();
    consumer.on(consumer.events.CRASH, (e) => loss.mark(e.payload.error));
    try {
      await consumer.connect();
      for (const topic of o.topics) await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
          let failed = false;
          for (const message of batch.messages) {
            this.batcher.push({
              body: message.value ?? Buffer.alloc(0),
              ack: () => {
                if (loss.live) resolveOffset(message.offset);
              },
              nack: () => {
                failed = true;
              },
            });
          }
          await this.batcher.drain();
          if (failed) throw new Error('batch not durable; it will be read again');
          if (loss.live) await commitOffsetsIfNecessary();
        },
      });
    } catch (err) {
      loss.mark();
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    return {
      lost: loss.lost,
      close: async () => {
        // disconnect() lets the batch under way finish (and commit) before it leaves the group.
        await consumer.disconnect().catch(() => undefined);
        await this.batcher.drain();
        loss.mark();
      },
    };
  }
}
