import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Loss, type Session, Supervisor } from './supervisor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger whose lines the test reads (level and message). */
function capture() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l));
        done();
      },
    }),
  );
  return { logger, lines, said: () => lines.filter((l) => l.level >= 30).map((l) => l.msg) };
}

const fast = { initialMs: 20, maxMs: 80, multiplier: 2, jitter: 0, stableAfterMs: 60_000 };

describe('Supervisor', () => {
  it('retries with the backoff, logs once per change of state, and counts a reconnect after a loss', async () => {
    const { logger, said, lines } = capture();
    let attempts = 0;
    let refuse = true;
    let current: Loss | undefined;
    const sup = new Supervisor(
      'thing',
      async (): Promise<Session> => {
        attempts++;
        if (refuse) throw new Error('ECONNREFUSED');
        const loss = new Loss();
        current = loss;
        return { lost: loss.lost, close: async () => loss.mark() };
      },
      logger,
      fast,
    );
    sup.start();
    await sleep(400);
    // Waits of 20, 40, 80, 80, … ms: a handful of attempts in 400 ms, not a busy loop.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(8);
    expect(sup.state).toMatchObject({ status: 'down', lastError: 'ECONNREFUSED', reconnects: 0 });
    expect(sup.state.nextRetryAt).not.toBeNull();
    refuse = false;
    await sleep(150);
    expect(sup.state).toMatchObject({ status: 'up', lastError: null, nextRetryAt: null, reconnects: 0 });
    current!.mark(new Error('socket reset'));
    await sleep(100);
    expect(sup.state).toMatchObject({ status: 'up', reconnects: 1 });
    await sup.stop();
    expect(sup.state.status).toBe('down');
    expect(said()).toEqual([
      'cannot connect thing; retrying in the background',
      'connected thing',
      'lost thing; reconnecting',
      'reconnected thing',
    ]);
    // The failed attempts after the first of the outage are debug lines only.
    expect(lines.filter((l) => l.level === 20).length).toBe(attempts - 3);
  });

  it('stops during an attempt, and closes the session that attempt opens', async () => {
    const { logger } = capture();
    let closed = 0;
    let release!: () => void;
    const sup = new Supervisor(
      'slow',
      () =>
        new Promise<Session>((resolve) => {
          release = () => resolve({ lost: new Promise(() => {}), close: async () => void closed++ });
        }),
      logger,
      fast,
    );
    sup.start();
    await sleep(10);
    const stopped = sup.stop();
    release();
    await stopped;
    expect(closed).toBe(1);
    expect(sup.current).toBeUndefined();
  });
});
