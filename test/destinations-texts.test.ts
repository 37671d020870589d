import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/event.js';
import { EventFeed } from '../src/destinations/feed.js';
import { eventItem } from '../src/destinations/payload.js';
import { storeFactories } from './support/stores.js';

// Events whose text is easy to get wrong: quotes, backslashes, control characters, other scripts, URI
// CloudEvents sources (their key is URI-encoded), characters encodeURIComponent leaves, null subjects, times at
// the edges of the years a store keeps, attributes.
const events: NewEvent[] = [
  {
    source: 'web',
    id: 'plain-1',
    type: 'page_viewed',
    subject: 'u1',
    time: Date.UTC(2026, 11, 3, 7, 5, 9, 123),
    data: '{"a":1}',
    receivedAt: Date.UTC(2026, 11, 3, 7, 5, 10, 7),
  },
  {
    source: 'web',
    id: "it's (x)*!~",
    type: 'say "hi"\\',
    subject: null,
    time: Date.UTC(1, 0, 1),
    data: '{"q":"\\"","n":null}',
    receivedAt: Date.UTC(2026, 0, 1),
  },
  {
    source: 'web',
    ceSource: 'https://bars.example/cloudevents?x=1&y=a b',
    id: 'ce:1/2',
    type: 'order.placed',
    subject: 'ordré 😀',
    time: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    data: '[1,2]',
    receivedAt: Date.UTC(2026, 5, 1, 0, 0, 0, 1),
    ceAttributes: '{"traceparent":"00-ab"}',
  },
  {
    source: 'web',
    ceSource: 'urn:x',
    id: 'tab\tid',
    type: 'line\nbreak',
    subject: '\u001b[0m',
    time: 0,
    data: '"text"',
    receivedAt: 1,
  },
  {
    source: 'shop',
    id: 'other-source',
    type: 'page_viewed',
    subject: 'u2',
    time: 5,
    data: '{}',
    receivedAt: 6,
  },
  {
    source: 'web',
    ceSource: '/bars/batch',
    id: 'u\u2028v',
    type: 'page_viewed',
    subject: '',
    time: 7,
    data: '{"é":"\\u00e9"}',
    receivedAt: 8,
  },
  // A payload stored with a line break (a JSON text as a producer wrote it): its line is its own.
  { source: 'web', id: 'nl', type: 'page_viewed', subject: 'u3', time: 9, data: '{"a":\n1}', receivedAt: 10 },
];

for (const factory of storeFactories())
  describe(`destination items (${factory.name})`, () => {
    it('are what eventItem makes of the stored events, field for field, filtered by source and type', async () => {
      const { store } = await factory.create();
      try {
        await store.append(events);
        const stored = await store.readEvents(0, 100);
        const expected = stored.map(eventItem);
        const fields = (i: ReturnType<typeof eventItem>) => ({
          seq: i.seq,
          key: i.key,
          source: i.source,
          type: i.type,
          id: i.id,
          receivedAt: i.receivedAt,
          text: i.text,
        });
        const all = await new EventFeed(store, {}).read(0, 100);
        expect(all.items.map(fields)).toEqual(expected.map(fields));
        expect(all.scannedTo).toBe(stored.at(-1)!.seq);
        // Every text is JSON, and the one a receiver parses.
        for (const i of all.items) expect(JSON.parse(i.text).idempotency_key).toBe(i.key);
        const some = await new EventFeed(store, { sources: ['web'], types: ['page_viewed'] }).read(0, 100);
        expect(some.items.map(fields)).toEqual(
          expected.filter((i) => i.source === 'web' && i.type === 'page_viewed').map(fields),
        );
        const last = await new EventFeed(store, {}).read(stored.at(-2)!.seq, 10);
        expect(last.items.map(fields)).toEqual(expected.slice(-1).map(fields));
        // A page of two: it ends at its last item, and the next begins after it.
        const first = await new EventFeed(store, {}).read(0, 2);
        expect(first.items.map(fields)).toEqual(expected.slice(0, 2).map(fields));
        expect([first.scannedTo, first.more]).toEqual([stored[1]!.seq, true]);
      } finally {
        await store.close();
      }
    });
  });
