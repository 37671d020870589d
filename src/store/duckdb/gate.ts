/**
 * Shared entry for readers, exclusive for the one operation that replaces the database under them (the
 * compaction swaps the file and reopens it): it waits for readers to leave and holds new ones at the door.
 */
export class Gate {
  private active = 0;
  private closed: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  async enter(): Promise<void> {
    while (this.closed) await this.closed;
    this.active++;
  }

  leave(): void {
    this.active--;
    if (this.active === 0) this.drained?.();
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    let open!: () => void;
    this.closed = new Promise((r) => {
      open = r;
    });
    try {
      if (this.active > 0)
        await new Promise<void>((r) => {
          this.drained = r;
        });
      this.drained = null;
      return await fn();
    } finally {
      this.closed = null;
      open();
    }
  }
}
