import { Backoff, type BackoffSettings, defaultBackoff } from './backoff.js';

/** What announces commits (the group committer): a subscription that can be withdrawn. */
export interface CommitSource {
  onCommit(fn: () => void): () => void;
}

/**
 * Runs `work` after commits, debounced: the first commit after a run asks for one `delayMs` later, so a burst
 * of commits is folded together. Runs never overlap (each waits for the one before); one that fails is given
 * to `onError` and tried again after a backoff, or at the next commit if that comes first: without the retry,
 * events committed before a lost connection stayed unfolded, and the failure on /status, until someone sent
 * another. The speed layer of projections, lifecycles and matching folds this way.
 */
export class AfterCommit {
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    commits: CommitSource,
    private readonly work: () => Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 100,
    retry: BackoffSettings = defaultBackoff,
  ) {
    this.backoff = new Backoff(retry);
    this.unsubscribe = commits.onCommit(() => {
      if (!this.timer && !this.stopped) this.timer = setTimeout(() => this.now(), this.delayMs);
    });
  }

  /** Runs the work as soon as the run before it ends (at start: what was stored while the process was down). */
  now(): void {
    this.timer = undefined;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.running = this.running.then(this.work).then(
      () => this.backoff.succeeded(),
      (err: Error) => {
        this.onError(err);
        if (this.stopped || this.timer) return;
        this.retry = setTimeout(() => this.now(), this.backoff.next());
        this.retry.unref();
      },
    );
  }

  /** No more runs: a waiting one is dropped, the current one is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.timer = undefined;
    this.retry = undefined;
    await this.running;
  }
}
