import type { Logger } from 'pino';
import { Backoff, type BackoffSettings, defaultBackoff } from './backoff.js';
import { type ConnectionState, initialConnectionState } from './health.js';

/**
 * The state of one supervised connection (the log, the PostgreSQL pool, the leader lock), kept by its owner:
 * it says `up()` when an attempt worked and `down(err)` when one failed, and gets the backoff wait in return.
 * It logs once per change of state, never once per retry, so an hour-long outage is two log lines.
 */
export class ConnectionWatch {
  readonly state: ConnectionState = initialConnectionState();
  private readonly backoff: Backoff;
  private everUp = false;
  private reported = false;

  constructor(
    readonly name: string,
    private readonly logger: Logger,
    settings: BackoffSettings = defaultBackoff,
  ) {
    this.backoff = new Backoff(settings);
  }

  get isUp(): boolean {
    return this.state.status === 'up';
  }

  /** An attempt worked (or traffic flows again). */
  up(): void {
    this.backoff.succeeded();
    if (this.state.status === 'up') return;
    const again = this.everUp;
    if (again) this.state.reconnects++;
    this.everUp = true;
    this.state.status = 'up';
    this.state.nextRetryAt = null;
    if (this.reported)
      this.logger.info(
        { connection: this.name, reconnects: this.state.reconnects },
        `${this.name}: connected`,
      );
    this.reported = false;
  }

  /** The connection is down (lost, or an attempt failed): logged once, until it is up again. */
  down(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.state.lastError = message || (err as { code?: string } | null)?.code || 'connection failed';
    if (!this.reported) {
      this.logger.warn(
        { connection: this.name, err: this.state.lastError },
        `${this.name}: unreachable; retrying with backoff until it is back`,
      );
      this.reported = true;
    }
    this.state.status = 'down';
  }

  /** The wait before the next attempt (capped exponential, with jitter), which /status shows as nextRetryAt. */
  nextWait(): number {
    const wait = this.backoff.next();
    this.state.nextRetryAt = new Date(Date.now() + wait).toISOString();
    return wait;
  }

  /** An attempt failed: marks the connection down and returns how long to wait before the next one (ms). */
  failed(err: unknown): number {
    this.down(err);
    return this.nextWait();
  }

  /** Seconds a client should wait before retrying what needed this connection (for Retry-After). */
  retryAfterSeconds(): number {
    const at = this.state.nextRetryAt ? Date.parse(this.state.nextRetryAt) : Date.now();
    return Math.min(30, Math.max(1, Math.ceil((at - Date.now()) / 1000)));
  }
}

/** Waits ms, or less when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
