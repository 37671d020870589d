/** What announces commits (the group committer): a subscription that can be withdrawn. */
export interface CommitSource {
  onCommit(fn: () => void): () => void;
}

/**
 * Runs `work` after commits, debounced: the first commit after a run asks for one `delayMs` later, so a burst
 * of commits is folded together. Runs never overlap (each waits for the one before); one that fails is given
 * to `onError`, and the next commit tries again. The speed layer of projections, lifecycles and matching
 * folds this way.
 */
export class AfterCommit {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    commits: CommitSource,
    private readonly work: () => Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 100,
  ) {
    this.unsubscribe = commits.onCommit(() => {
      if (!this.timer && !this.stopped) this.timer = setTimeout(() => this.now(), this.delayMs);
    });
  }

  /** Runs the work as soon as the run before it ends (at start: what was stored while the process was down). */
  now(): void {
    this.timer = undefined;
    this.running = this.running.then(this.work).catch(this.onError);
  }

  /** No more runs: a waiting one is dropped, the current one is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
