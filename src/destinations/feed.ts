import type { Store } from '../store/store.js';
import type { DestinationConfig } from './config.js';
import { EventTexts } from './event-texts.js';
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
  private readonly texts: EventTexts | undefined;

  constructor(
    private readonly store: Store,
    private readonly filter: DestinationConfig['filter'],
  ) {
    this.texts = EventTexts.of(store);
  }

  async read(after: number, limit: number): Promise<FeedPage> {
    const { sources, types } = this.filter;
    const span = await eventSpan(this.store, after, limit);
    if (!span) return { items: [], scannedTo: after, more: false };
    if (this.texts) {
      // The filter is applied by the engine: the page holds only what is sent (seqs of the sent items).
      const { seqs, items } = await this.texts.read(after, limit, span.upTo, this.filter);
      return endOf(seqs, items, limit, span);
    }
    const page = await this.store.readEvents(after, limit, span.upTo);
    const items = page
      .filter((e) => (!sources || sources.includes(e.source)) && (!types || types.includes(e.type)))
      .map(eventItem);
    return endOf(
      page.map((e) => e.seq),
      items,
      limit,
      span,
    );
  }
}

/**
 * The seqs a page reads: after `after`, at most `limit` of them, up to the last committed. Seqs are dense but
 * for events retention removed, so a page reads `limit` seqs or fewer events, never a sort of the rest.
 */
export async function eventSpan(
  store: Store,
  after: number,
  limit: number,
): Promise<{ upTo: number; last: number } | undefined> {
  const last = await store.lastSeq();
  return last > after ? { upTo: Math.min(last, after + limit), last } : undefined;
}

/** A page's end: a full page ends at its last seq, a short one at its span's end. */
export function endOf(
  seqs: readonly number[],
  items: readonly Item[],
  limit: number,
  span: { upTo: number; last: number },
): FeedPage {
  const scannedTo = seqs.length === limit ? seqs[seqs.length - 1]! : span.upTo;
  return { items, scannedTo, more: scannedTo < span.last };
}
