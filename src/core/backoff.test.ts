import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

const settings = { initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 0.5, stableAfterMs: 5000 };

describe('Backoff', () => {
  it('grows by the multiplier and never passes the cap', () => {
    const b = new Backoff({ ...settings, jitter: 0 }, () => 0.9);
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('jitter shortens the wait by at most its fraction, and stays under the cap', () => {
    const low = new Backoff(settings, () => 0.999_999);
    const high = new Backoff(settings, () => 0);
    const lows = Array.from({ length: 6 }, () => low.next());
    const highs = Array.from({ length: 6 }, () => high.next());
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(lows).toEqual([50, 100, 200, 400, 500, 500]);
    const random = new Backoff(settings);
    for (let i = 0; i < 50; i++) {
      const w = random.next();
      expect(w).toBeLessThanOrEqual(1000);
      expect(w).toBeGreaterThanOrEqual(50);
    }
  });

  it('resets after the connection stayed up for stableAfter, not before', () => {
    let now = 0;
    const b = new Backoff({ ...settings, jitter: 0 }, Math.random, () => now);
    b.next();
    b.next();
    b.next();
    b.succeeded();
    now += 4999;
    expect(b.next()).toBe(800); // up 4.999 s: still the same incident
    b.succeeded();
    now += 5000;
    expect(b.next()).toBe(100); // up 5 s: a new incident starts from the first wait
    expect(b.failures).toBe(1);
  });
});
