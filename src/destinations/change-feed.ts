import type { ProjectionReader } from '../project/projection-reader.js';
import type { Row } from '../store/store.js';
import type { Feed, FeedPage } from './feed.js';
import type { Item } from './sender.js';

/**
 * A latest projection's change feed: for each key that new events changed, its new row (null when it has
 * none any more, as after an erasure) and the highest seq of those events. The row is read after the speed
 * layer folded those events, so it holds every change the item stands for (and possibly later ones).
 */
export class ChangeFeed implements Feed {
  constructor(
    private readonly projections: ProjectionReader,
    private readonly projection: string,
  ) {}

  async read(after: number, limit: number): Promise<FeedPage> {
    let changed: Awaited<ReturnType<ProjectionReader['changedKeys']>>;
    try {
      changed = await this.projections.changedKeys(this.projection, after, limit);
    } catch (err) {
      // Before its first build a projection has no rows to send: nothing yet, and nothing is wrong.
      if ((err as Error).name === 'NotReadyError') return { items: [], scannedTo: after, more: false };
      throw err;
    }
    const items: Item[] = [];
    for (const { key, seq } of changed.keys) {
      const filters = Object.fromEntries(
        Object.entries(key).map(([column, value]) => [column, [{ op: 'eq' as const, value }]]),
      );
      const answer = await this.projections.read(this.projection, { filters, limit: 1 });
      const row: Row | null = answer.rows[0] ?? null;
      const keyText = JSON.stringify(key);
      items.push({
        seq,
        key: `${this.projection}:${keyText}:${seq}`,
        source: this.projection,
        type: 'change',
        id: keyText,
        receivedAt: 0, // a change goes when it is read: the events it stands for waited already
        text: JSON.stringify({
          idempotency_key: `${this.projection}:${keyText}:${seq}`,
          projection: this.projection,
          key,
          row,
          seq,
        }),
      });
    }
    return { items, scannedTo: changed.scannedTo, more: changed.more };
  }
}
