import type { Logger } from 'pino';
import { Backoff, type BackoffSettings } from './backoff.js';
import { type ConnectionState, initialConnectionState } from './health.js';

/** One open connection with everything declared on it (queues, consumers, subscriptions). */
export interface Session {
  /** Settles when the connection is lost, with the reason if there is one. Never rejects. */
  readonly lost: Promise<Error | undefined>;
  /** Closes it on purpose (at stop); must not throw. */
  close(): Promise<void>;
}

/** How long an attempt to open may take before it counts as failed (a peer that accepts and never answers). */
const OPEN_TIMEOUT_MS = 15_000;

/**
 * Keeps one connection open: opens it, waits for its loss, and opens it again after a capped exponential
 * backoff with jitter, until stopped. Opening declares everything the connection needs, so a new session
 * continues where the lost one stopped. It logs once per change of state (up, lost, cannot connect), not per
 * failed attempt, and waits between attempts, so a dependency that stays down costs nothing but a timer.
 */
export class Supervisor<S extends Session = Session> {
  readonly state: ConnectionState = initialConnectionState();
  private readonly backoff: Backoff;
  private stopped = false;
  private session: S | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopping: Promise<void>;
  private signalStop!: () => void;

  constructor(
    /** What /status and the logs call it, e.g. `source shop (rabbitmq)`. */
    readonly name: string,
    private readonly open: () => Promise<S>,
    private readonly logger: Logger,
    settings: BackoffSettings,
    /** Told when a session opens and when it is gone (lost or closed), e.g. to hand it to its users. */
    private readonly hooks: { up?(session: S): void; down?(session: S): void } = {},
  ) {
    this.backoff = new Backoff(settings);
    this.stopping = new Promise((resolve) => {
      this.signalStop = resolve;
    });
  }

  /** Starts connecting in the background: returns at once, whether the dependency is up or not. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops retrying and closes the open session, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let everUp = false;
    let reportedDown = false;
    while (!this.stopped) {
      let session: S;
      try {
        session = await this.openWithTimeout();
      } catch (err) {
        this.state.lastError = (err as Error).message;
        // The first failed attempt of an outage is news; the ones after it are the same news.
        if (!reportedDown)
          this.logger.warn(
            { connection: this.name, err: this.state.lastError },
            `cannot connect ${this.name}; retrying in the background`,
          );
        else this.logger.debug({ connection: this.name, err: this.state.lastError }, 'still cannot connect');
        reportedDown = true;
        await this.pause();
        continue;
      }
      if (this.stopped) {
        await session.close();
        break;
      }
      this.session = session;
      if (everUp) this.state.reconnects++;
      Object.assign(this.state, { status: 'up', lastError: null, nextRetryAt: null });
      this.logger.info(
        { connection: this.name },
        everUp ? `reconnected ${this.name}` : `connected ${this.name}`,
      );
      everUp = true;
      reportedDown = false;
      this.backoff.succeeded();
      this.hooks.up?.(session);
      const lost = await Promise.race([session.lost, this.stopping.then(() => 'stopped' as const)]);
      this.session = undefined;
      this.state.status = 'down';
      this.hooks.down?.(session);
      if (lost === 'stopped') {
        await session.close();
        break;
      }
      this.state.lastError = lost?.message ?? 'connection closed';
      this.logger.warn(
        { connection: this.name, err: this.state.lastError },
        `lost ${this.name}; reconnecting`,
      );
      reportedDown = true;
      // The lost session may hold sockets or timers still: release them before opening another.
      await session.close();
      await this.pause();
    }
    this.state.status = 'down';
    this.state.nextRetryAt = null;
  }

  /** Waits the backoff's next delay (ended early by stop), showing when the next attempt is due. */
  private async pause(): Promise<void> {
    if (this.stopped) return;
    const ms = this.backoff.next();
    this.state.nextRetryAt = new Date(Date.now() + ms).toISOString();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    this.state.nextRetryAt = null;
  }

  /** open(), failing after OPEN_TIMEOUT_MS; a session that opens after that is closed, not leaked. */
  private openWithTimeout(): Promise<S> {
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new Error(`no answer within ${OPEN_TIMEOUT_MS / 1000} s`));
      }, OPEN_TIMEOUT_MS);
      this.open().then(
        (s) => {
          clearTimeout(timer);
          if (late) void s.close();
          else resolve(s);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** The open session, if any. */
  get current(): S | undefined {
    return this.session;
  }
}

/**
 * The loss of one session, signalled once by whichever of its client's events comes first (an error, a
 * close, a cancelled consumer). `live` turns false at that moment: settlements of messages that arrived on
 * this session are dropped from then on, since the broker delivers those messages again.
 */
export class Loss {
  live = true;
  readonly lost: Promise<Error | undefined>;
  private resolve!: (err: Error | undefined) => void;
  private reason: Error | undefined;

  constructor() {
    this.lost = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Remembers why the connection is failing (an 'error' event usually comes before its 'close'). */
  note(err: Error): void {
    this.reason ??= err;
  }

  /** The session is gone. */
  mark(err?: Error): void {
    if (!this.live) return;
    this.live = false;
    this.resolve(err ?? this.reason);
  }
}
