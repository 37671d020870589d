import { type Consumer, Kafka } from 'kafkajs';
import type { Runtime } from '../../runtime.js';
import { BrokerBatcher, type SourceStats } from '../broker-batch.js';

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
 * stores it once.
 */
export class KafkaSource {
  private readonly batcher: BrokerBatcher;
  private consumer: Consumer | undefined;

  constructor(
    runtime: Runtime,
    private readonly options: KafkaSourceOptions,
  ) {
    this.batcher = new BrokerBatcher(runtime, options.source, 10_000, options.batchMs);
  }

  get stats(): SourceStats {
    return this.batcher.stats;
  }

  async start(): Promise<void> {
    const o = this.options;
    const kafka = new Kafka({ clientId: `panoramix-${o.source}`, brokers: [...o.brokers] });
    this.consumer = kafka.consumer({ groupId: o.groupId });
    await this.consumer.connect();
    for (const topic of o.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    this.stats.connected = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        let failed = false;
        for (const message of batch.messages) {
          this.batcher.push({
            body: message.value ?? Buffer.alloc(0),
            ack: () => resolveOffset(message.offset),
            nack: () => {
              failed = true;
            },
          });
        }
        await this.batcher.drain();
        if (failed) throw new Error('batch not durable; it will be read again');
        await commitOffsetsIfNecessary();
      },
    });
  }

  async stop(): Promise<void> {
    await this.batcher.drain();
    await this.consumer?.disconnect().catch(() => undefined);
    this.stats.connected = false;
  }
}
