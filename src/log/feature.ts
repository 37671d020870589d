import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';

/** The log worker feature: in server mode, moves the NATS log to the store (`work`, or everything in one process). */
export class LogWorker implements Feature {
  readonly name = 'log worker';
  readonly roles: readonly Role[] = ['all', 'work'];
  private stopWorker: (() => Promise<void>) | undefined;

  constructor(private readonly runtime: Runtime) {}

  async start(): Promise<void> {
    const { log } = this.runtime;
    if (!log) return;
    // The NATS client loads only in server mode.
    const { runLogWorker } = await import('./worker.js');
    this.stopWorker = await runLogWorker(
      this.runtime,
      log,
      this.runtime.committer,
      this.runtime.config.reconnect,
    );
  }

  async stop(): Promise<void> {
    await this.stopWorker?.();
  }
}
