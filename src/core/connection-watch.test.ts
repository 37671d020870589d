import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConnectionWatch } from './connection-watch.js';

function watched() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const settings = { initialMs: 100, maxMs: 400, multiplier: 2, jitter: 0, stableAfterMs: 60_000 };
  return { watch: new ConnectionWatch('db', logger, settings), lines };
}

describe('ConnectionWatch', () => {
  it('logs one line per change of state, not one per failed attempt', () => {
    const { watch, lines } = watched();
    watch.up();
    for (let i = 0; i < 5; i++) watch.failed(new Error('refused'));
    watch.up();
    watch.up();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'db: unreachable; retrying with backoff until it is back'],
      [30, 'db: connected'],
    ]);
  });

  it('says when it tries next, with the capped backoff, and counts reconnects', () => {
    const { watch } = watched();
    watch.up();
    const t0 = Date.now();
    expect([1, 2, 3, 4].map(() => watch.failed(new Error('refused')))).toEqual([100, 200, 400, 400]);
    expect(watch.state).toMatchObject({ status: 'down', lastError: 'refused', reconnects: 0 });
    expect(Date.parse(watch.state.nextRetryAt!)).toBeGreaterThanOrEqual(t0 + 400);
    expect(watch.retryAfterSeconds()).toBe(1);
    watch.up();
    expect(watch.state).toMatchObject({ status: 'up', nextRetryAt: null, reconnects: 1 });
  });

  it('is down, without a reconnect, until its first connect', () => {
    const { watch, lines } = watched();
    expect(watch.isUp).toBe(false);
    watch.up();
    expect([watch.state.reconnects, lines.length]).toEqual([0, 0]);
  });
});
