import { sleep } from '../core/connection-watch.js';
import type { Feature, Role } from '../core/feature.js';
import type { PartHealth } from '../core/health.js';
import { startFeatures } from '../core/start-features.js';
import type { Runtime } from '../runtime.js';
import type { LeaderLock } from '../store/store.js';

/**
 * The batch leader feature (`panoramix batch`, server mode): competes for the leader lock and, while it holds
 * it, runs the other features of the batch role (reports, the lake, retention, destinations, the matching
 * export). When the lock is lost (its connection dropped: the server released it), it stops them and competes
 * again; exactly one process leads at a time.
 */
export class BatchLeader implements Feature {
  readonly name = 'batch leader';
  readonly roles: readonly Role[] = ['batch'];
  /** How often a follower tries for the lock, and a leader checks its session (`panoramix batch --poll`). */
  pollMs = 2000;
  private leading = false;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly runtime: Runtime) {}

  /** The features that run while this process leads. */
  led(): Feature[] {
    return this.runtime.features.filter((f) => f !== this && f.roles.includes('batch'));
  }

  async start(): Promise<void> {
    const lock = this.runtime.store.leaderLock?.(
      { pollMs: this.pollMs, backoff: this.runtime.config.reconnect },
      this.runtime.logger,
    );
    if (!lock) throw new Error('the batch leader needs a PostgreSQL store');
    this.loop = this.lead(lock);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  health(): PartHealth {
    return { status: 'up', detail: { leading: this.leading } };
  }

  private async lead(lock: LeaderLock): Promise<void> {
    const { logger, health } = this.runtime;
    const signal = this.stopping.signal;
    const stopped = new Promise<undefined>((resolve) =>
      signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    while (!signal.aborted) {
      logger.info('waiting to become the batch leader');
      const lease = await lock.acquire(signal);
      if (!lease) break;
      let stopLed: (() => Promise<void>) | undefined;
      let lost: Error | undefined;
      try {
        stopLed = await startFeatures(this.led(), health);
        this.leading = true;
        logger.info({ pid: process.pid }, 'became the batch leader');
        lost = await Promise.race([lease.lost, stopped]);
      } catch (err) {
        lost = err as Error;
        logger.error({ err }, 'the batch features did not start');
      }
      this.leading = false;
      await stopLed?.().catch((err: unknown) => logger.error({ err }, 'stopping the schedules failed'));
      await lease.release();
      if (!lost) break;
      logger.warn(
        { err: lost.message },
        'lost the batch leader lock: schedules stopped; competing for the lock again',
      );
      await sleep(this.pollMs, signal);
    }
  }
}
