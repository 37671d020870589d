import type { ConnectionState } from '../core/health.js';
import { type Session, Supervisor } from '../core/supervisor.js';
import type { Runtime } from '../runtime.js';
import { BrokerBatcher, type SourceStats } from './broker-batch.js';

/**
 * A broker source: its batcher, and a supervisor that keeps its connection open. `start` returns at once, so
 * a broker that is down does not hold the process back; the source connects when it can, reports its state
 * in /status and /metrics meanwhile, and after a loss opens a new session (queues, consumers and
 * subscriptions declared again) where the broker redelivers what was not acknowledged.
 */
export abstract class SupervisedSource {
  protected readonly batcher: BrokerBatcher;
  readonly supervisor: Supervisor;

  constructor(runtime: Runtime, source: string, kind: string, batchSize: number, batchMs: number) {
    this.batcher = new BrokerBatcher(runtime, source, batchSize, batchMs);
    this.supervisor = new Supervisor(
      `source ${source} (${kind})`,
      () => this.open(),
      runtime.logger.child({ source, kind }),
      runtime.config.reconnect,
    );
  }

  /**
   * Opens one session: connects, declares what it consumes and starts consuming into the batcher. Its close
   * stops the intake, drains the batcher (so the last acknowledgements go out on this connection), then
   * closes the connection. A session that fails halfway closes what it opened and throws.
   */
  protected abstract open(): Promise<Session>;

  get stats(): SourceStats {
    return this.batcher.stats;
  }

  get connection(): ConnectionState {
    return this.supervisor.state;
  }

  start(): void {
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    this.batcher.stopWaiting();
    await this.supervisor.stop();
    // Messages of a session lost before the stop: stored if they can be, their acknowledgements dropped.
    await this.batcher.drain();
  }
}
