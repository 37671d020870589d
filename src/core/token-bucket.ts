/**
 * A token bucket: `capacity` tokens, refilled at `perSecond`. take(n) spends n when there are n (answering
 * true), else spends nothing and answers false; waitSeconds(n) says how long until n would be there.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  take(n = 1, now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /**
   * Spends n when any token is there, going into debt for a request larger than what is left (a batch of
   * 10,000 under a rate of 1,000/s is taken, then nothing until the debt is paid): the rate holds on average
   * whatever the request sizes. False, spending nothing, while less than one token is there (or it is in debt).
   */
  spend(n: number, now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= n;
    return true;
  }

  /** Seconds until a whole token is there again (0 when one is). */
  untilAny(now = Date.now()): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    return this.perSecond > 0 ? (1 - this.tokens) / this.perSecond : Number.POSITIVE_INFINITY;
  }

  /** Seconds until the bucket is full again. */
  untilFull(now = Date.now()): number {
    this.refill(now);
    return this.perSecond > 0 ? (this.capacity - this.tokens) / this.perSecond : 0;
  }

  /** Tokens there now (whole ones). */
  available(now = Date.now()): number {
    this.refill(now);
    return Math.max(0, Math.floor(this.tokens));
  }

  /** Seconds until n tokens are there (0 when they are); Infinity when n is more than the bucket holds. */
  waitSeconds(n = 1, now = Date.now()): number {
    this.refill(now);
    if (n > this.capacity || this.perSecond <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, (n - this.tokens) / this.perSecond);
  }

  private refill(now: number): void {
    if (now > this.at)
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
}
