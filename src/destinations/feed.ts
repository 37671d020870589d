import type { Store } from '../store/store.js';
import type { DestinationConfig } from './config.js';
import { eventItem } from './payload.js';
import type { Item } from './sender.js';

/** What a destination reads after its cursor: items in seq order, and the seq it looked up to. */
export interface FeedPage {
  readonly items: readonly Item[];
  /** Every item at or below this seq is in `items` (or filtered out); more may follow after it. */
  readonly scannedTo: number;
  /** False when the feed had nothing more to read after scannedTo for now. */
  readonly more: boolean;
}

/** The source of a destination's items: the events, or a projection's changes. */
export interface Feed {
  read(after: number, limit: number): Promise<FeedPage>;
}

/** The stored events, filtered by source and type. */
export class EventFeed implements Feed {
  constructor(
    private readonly store: Store,
    private readonly filter: DestinationConfig['filter'],
  ) {}

  async read(after: number, limit: number): Promise<FeedPage> {
    const { sources, types } = this.filter;
    const page = await this.store.readEvents(after, limit);
    const items = page
      .filter((e) => (!sources || sources.includes(e.source)) && (!types || types.includes(e.type)))
      .map(eventItem);
    return { items, scannedTo: page.at(-1)?.seq ?? after, more: page.length === limit };
  }
}
