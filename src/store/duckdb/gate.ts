import { AsyncLocalStorage } from 'node:async_hooks';

/** The exclusive operation gave up: readers did not leave in time (it can be tried again later). */
export class GateBusy extends Error {}

/**
 * Shared entry for readers, exclusive for the one operation that replaces the database under them (the
 * compaction swaps the file and reopens it): it waits for readers to leave and holds new ones at the door.
 */
export class Gate {
  // Work already inside (a query a transaction's code runs on another connection) passes: held at the door,
  // it would wait for an exclusive operation that waits for it.
  private readonly inside = new AsyncLocalStorage<true>();
  private active = 0;
  private closed: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  /** Runs fn as a reader: after any exclusive operation, and counted until it ends. */
  async pass<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn();
    await this.enter();
    try {
      return await this.inside.run(true, fn);
    } finally {
      this.leave();
    }
  }

  async enter(): Promise<void> {
    while (this.closed) await this.closed;
    this.active++;
  }

  leave(): void {
    this.active--;
    if (this.active === 0) this.drained?.();
  }

  async exclusive<T>(fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
    while (this.closed) await this.closed;
    let open!: () => void;
    this.closed = new Promise((r) => {
      open = r;
    });
    try {
      if (this.active > 0) {
        // A reader that waits for one held at the door (a stream whose consumer queries) never leaves: give
        // up after a while rather than hold everything for ever.
        let timer: NodeJS.Timeout | undefined;
        const drained = await new Promise<boolean>((r) => {
          this.drained = () => r(true);
          timer = setTimeout(() => r(false), waitMs);
        });
        clearTimeout(timer);
        if (!drained) throw new GateBusy(`readers still at work after ${waitMs} ms`);
      }
      this.drained = null;
      return await fn();
    } finally {
      this.drained = null;
      this.closed = null;
      open();
    }
  }
}
