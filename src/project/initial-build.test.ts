import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildUntilCurrent, type StaleBuilder } from './initial-build.js';

const quick = { initialMs: 5, maxMs: 20, multiplier: 2, jitter: 0, stableAfterMs: 60_000 };
const silent = pino({ level: 'silent' });

// Projections that stay stale until a build of theirs succeeds; the first `failures` builds fail.
class FlakyEngine implements StaleBuilder {
  readonly built = new Set<string>();
  builds = 0;
  constructor(
    private readonly names: string[],
    private failures: number,
  ) {}
  async stale() {
    return this.names.filter((n) => !this.built.has(n));
  }
  async rebuild(name: string) {
    this.builds++;
    if (this.failures-- > 0) throw new Error('Connection terminated unexpectedly');
    this.built.add(name);
  }
}

describe('buildUntilCurrent', () => {
  it('tries a failed initial build again until every projection is current', async () => {
    const engine = new FlakyEngine(['per_bucket', 'orders'], 3);
    const errors: (string | null)[] = [];
    await buildUntilCurrent(engine, quick, silent, new AbortController().signal, (e) =>
      errors.push(e?.message ?? null),
    );
    expect([...engine.built].sort()).toEqual(['orders', 'per_bucket']);
    expect(errors.at(-1)).toBeNull();
    expect(errors.filter((e) => e !== null).length).toBeGreaterThan(0);
  });

  it('does not build again what is current, and stops when aborted', async () => {
    const engine = new FlakyEngine(['a'], Number.POSITIVE_INFINITY);
    const stop = new AbortController();
    const done = buildUntilCurrent(engine, quick, silent, stop.signal);
    await new Promise((r) => setTimeout(r, 60));
    stop.abort();
    await done;
    const after = engine.builds;
    expect(after).toBeGreaterThan(1);
    expect(after).toBeLessThan(20); // waits between attempts: not a busy loop
    await new Promise((r) => setTimeout(r, 30));
    expect(engine.builds).toBe(after);
  });
});
