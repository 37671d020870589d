import { TokenBucket } from '../core/token-bucket.js';

/**
 * How much of what requests without a write key send, and no declared source owns, is kept in quarantine:
 * unparseable bodies and lines (source `unknown`) and events naming an undeclared source (`undeclared`, one
 * budget for every made-up name), each at most `perMinute` inputs a minute (a burst of as many). So anonymous
 * garbage cannot grow the quarantine without bound. The sender is still told what was wrong; what is over the
 * bound is only not kept, and counted. Events of a declared source that is open (no write keys) are its
 * owner's choice of traffic and are kept as always.
 */
export class AnonymousBound {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly perMinute: number,
    private readonly declared: ReadonlySet<string>,
    private readonly onDrop: (source: string) => void = () => {},
  ) {}

  /** Whether one more anonymous input of `source` may be kept now; counts it as dropped when not. */
  admit(source: string | undefined, now = Date.now()): boolean {
    if (source !== undefined && this.declared.has(source)) return true;
    const key = source === undefined || source === 'unknown' ? 'unknown' : 'undeclared';
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.perMinute, this.perMinute / 60, now);
      this.buckets.set(key, b);
    }
    if (b.take(1, now)) return true;
    this.onDrop(key);
    return false;
  }
}
