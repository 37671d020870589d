/** How a supervised connection waits between attempts (panoramix.yaml `reconnect`). */
export interface BackoffSettings {
  /** First wait after a failure, in milliseconds. */
  readonly initialMs: number;
  /** The wait never grows past this, in milliseconds. */
  readonly maxMs: number;
  /** Each failure multiplies the wait by this. */
  readonly multiplier: number;
  /** Fraction of the wait drawn at random (0: none, 0.5: the wait is 50–100 % of its nominal value). */
  readonly jitter: number;
  /** A connection up this long counts as stable: the next failure starts again from initialMs. */
  readonly stableAfterMs: number;
}

export const defaultBackoff: BackoffSettings = {
  initialMs: 500,
  maxMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
  stableAfterMs: 60_000,
};

/**
 * Capped exponential backoff with jitter. The jitter only ever shortens the wait, so the cap holds; it
 * spreads the retries of many processes that lost the same dependency at the same moment.
 */
export class Backoff {
  private attempt = 0;
  private upSince: number | undefined;

  constructor(
    readonly settings: BackoffSettings = defaultBackoff,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The wait before the next attempt, after a failure. */
  next(): number {
    const { initialMs, maxMs, multiplier, jitter, stableAfterMs } = this.settings;
    // A connection that stayed up long enough was healthy: its failure is a new incident, not a repeat.
    if (this.upSince !== undefined && this.now() - this.upSince >= stableAfterMs) this.attempt = 0;
    this.upSince = undefined;
    const nominal = Math.min(maxMs, initialMs * multiplier ** this.attempt);
    this.attempt++;
    return Math.round(nominal * (1 - jitter * this.random()));
  }

  /** The connection is up: the count of failures resets once it has stayed up for stableAfterMs. */
  succeeded(): void {
    this.upSince = this.now();
  }

  /** Failures since the last stable period. */
  get failures(): number {
    return this.attempt;
  }
}
