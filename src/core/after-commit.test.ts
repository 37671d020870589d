import { describe, expect, it } from 'vitest';
import { AfterCommit, type CommitSource } from './after-commit.js';

// The committer's announcing side, as AfterCommit sees it.
class Commits implements CommitSource {
  private readonly listeners = new Set<() => void>();
  onCommit(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  commit(): void {
    for (const fn of this.listeners) fn();
  }
  get listening(): number {
    return this.listeners.size;
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AfterCommit', () => {
  it('folds a burst of commits once, after the delay, and never two runs at a time', async () => {
    const commits = new Commits();
    let runs = 0;
    let inside = 0;
    let most = 0;
    const loop = new AfterCommit(
      commits,
      async () => {
        runs++;
        most = Math.max(most, ++inside);
        await wait(30);
        inside--;
      },
      () => undefined,
      20,
    );
    for (let i = 0; i < 10; i++) commits.commit();
    expect(runs).toBe(0);
    await wait(40);
    expect(runs).toBe(1);
    loop.now();
    loop.now();
    await loop.stop();
    expect(runs).toBe(3);
    expect(most).toBe(1);
  });

  it('gives a failure to onError and runs again at the next commit', async () => {
    const commits = new Commits();
    const errors: string[] = [];
    let fail = true;
    let done = 0;
    const loop = new AfterCommit(
      commits,
      async () => {
        if (fail) throw new Error('down');
        done++;
      },
      (err) => errors.push(err.message),
      5,
    );
    commits.commit();
    await wait(30);
    expect(errors).toEqual(['down']);
    fail = false;
    commits.commit();
    await wait(30);
    expect(done).toBe(1);
    await loop.stop();
  });

  it('tries a failed run again after a backoff, with no commit to prompt it', async () => {
    const commits = new Commits();
    let fails = 2;
    let done = 0;
    const loop = new AfterCommit(
      commits,
      async () => {
        if (fails-- > 0) throw new Error('down');
        done++;
      },
      () => undefined,
      5,
      { initialMs: 20, maxMs: 40, multiplier: 2, jitter: 0, stableAfterMs: 60_000 },
    );
    commits.commit();
    await wait(30);
    expect(done).toBe(0);
    await wait(100); // 20 ms, then 40 ms: the third run succeeds
    expect(done).toBe(1);
    await wait(100);
    expect(done).toBe(1); // and nothing runs again without a commit
    await loop.stop();
  });

  it('stops listening when stopped: a waiting run is dropped, later commits fold nothing', async () => {
    const commits = new Commits();
    let runs = 0;
    const loop = new AfterCommit(
      commits,
      async () => {
        runs++;
      },
      () => undefined,
      10,
    );
    commits.commit();
    await loop.stop();
    commits.commit();
    await wait(30);
    expect(runs).toBe(0);
    expect(commits.listening).toBe(0);
  });
});
