import { describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../core/event.js';
import type { AppendResult } from '../store/store.js';
import { type EventSink, GroupCommitter, QueueFullError } from './group-commit.js';

const ev = (id: string): NewEvent => ({
  source: 's',
  id,
  type: 't',
  subject: null,
  time: 0,
  data: 'null',
  receivedAt: 0,
});

// A sink that records each append and lets the test decide when commits finish.
class RecordingSink implements EventSink {
  readonly batches: string[][] = [];
  failNext = false;
  /** The error a failing commit throws (default: a disk full, an error of the commit's own). */
  failWith: () => Error = () => new Error('disk full');
  private seq = 0;
  private release: (() => void)[] = [];

  async append(events: readonly NewEvent[]): Promise<AppendResult> {
    this.batches.push(events.map((e) => e.id));
    await new Promise<void>((r) => this.release.push(r));
    if (this.failNext) {
      this.failNext = false;
      throw this.failWith();
    }
    const stored: StoredEvent[] = events.map((e) => ({
      ...e,
      ceSource: e.source,
      ceAttributes: null,
      seq: ++this.seq,
    }));
    return { stored, duplicates: [] };
  }

  finishAll(): void {
    for (const r of this.release.splice(0)) r();
  }
}

// Lets the committer run: it may wait a few event-loop turns for more submissions before a commit.
const tick = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('GroupCommitter', () => {
  it('writes the submissions that arrive during a commit together in the next one', async () => {
    const sink = new RecordingSink();
    const c = new GroupCommitter(sink, { queueLimit: 1000, maxBatch: 1000 });
    const first = c.submit([ev('a')]);
    await tick();
    const second = Promise.all([c.submit([ev('b')]), c.submit([ev('c'), ev('d')]), c.submit([ev('e')])]);
    await tick();
    expect(sink.batches).toEqual([['a']]);
    sink.finishAll();
    expect((await first).stored.map((e) => e.seq)).toEqual([1]);
    await tick();
    expect(sink.batches).toEqual([['a'], ['b', 'c', 'd', 'e']]);
    sink.finishAll();
    const results = await second;
    expect(results.map((r) => r.stored.map((e) => e.id))).toEqual([['b'], ['c', 'd'], ['e']]);
  });

  it('waits a moment for the clients it just answered, and commits them with the ones already waiting', async () => {
    const sink = new RecordingSink();
    const c = new GroupCommitter(sink, { queueLimit: 1000, maxBatch: 1000 });
    const round1 = ['a', 'b', 'c', 'd'].map((id) => c.submit([ev(id)]));
    await tick();
    expect(sink.batches).toEqual([['a', 'b', 'c', 'd']]);
    const early = [c.submit([ev('e')]), c.submit([ev('f')])]; // arrived during the commit
    sink.finishAll();
    await Promise.all(round1);
    await new Promise((r) => setImmediate(r)); // the answered clients come back a turn later
    const late = [c.submit([ev('g')]), c.submit([ev('h')])];
    await tick();
    expect(sink.batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f', 'g', 'h'],
    ]);
    sink.finishAll();
    await Promise.all([...early, ...late]);
  });

  it('answers only after the commit, and refuses with QueueFullError when the queue is full', async () => {
    const sink = new RecordingSink();
    const c = new GroupCommitter(sink, { queueLimit: 3, maxBatch: 10 });
    let done = false;
    const p = c.submit([ev('a'), ev('b')]).then(() => {
      done = true;
    });
    await tick();
    expect(done).toBe(false);
    await expect(c.submit([ev('c'), ev('d')])).rejects.toBeInstanceOf(QueueFullError);
    expect(c.stats.refused).toBe(2);
    sink.finishAll();
    await p;
    expect(done).toBe(true);
  });

  it('rejects every submission of a failed commit and goes on with the next', async () => {
    const sink = new RecordingSink();
    const c = new GroupCommitter(sink, { queueLimit: 100, maxBatch: 100 });
    sink.failNext = true;
    const failed = c.submit([ev('a')]);
    await tick();
    sink.finishAll();
    await expect(failed).rejects.toThrow('disk full');
    expect(c.stats.lastError).toBe('disk full');
    const ok = c.submit([ev('b')]);
    await tick();
    sink.finishAll();
    expect((await ok).stored).toHaveLength(1);
    expect(c.stats.lastError).toBeNull();
    await c.drain();
    expect(c.depth).toBe(0);
  });

  it('leaves a lost connection to the store health: the queue is not unhealthy once the store is back', async () => {
    const sink = new RecordingSink();
    const c = new GroupCommitter(sink, { queueLimit: 100, maxBatch: 100 });
    sink.failNext = true;
    sink.failWith = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const failed = c.submit([ev('a')]);
    await tick();
    sink.finishAll();
    await expect(failed).rejects.toThrow('ECONNRESET');
    expect(c.stats.failedCommits).toBe(1);
    expect(c.stats.lastError).toBeNull();
    await c.drain();
  });
});
