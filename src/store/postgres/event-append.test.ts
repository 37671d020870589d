import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../core/event.js';
import { splitRepeats } from './event-append.js';

const ev = (source: string, id: string, ceSource?: string): NewEvent => ({
  source,
  id,
  ...(ceSource !== undefined ? { ceSource } : {}),
  type: 't',
  subject: null,
  time: 0,
  receivedAt: 0,
  data: '{}',
});

describe('splitRepeats', () => {
  it('stages the first of each key and names the repeats, a CloudEvents source equal to the source as none', () => {
    const events = [
      ev('web', 'a'),
      ev('web', 'b'),
      ev('web', 'a', 'web'),
      ev('web', 'a', 'urn:x'),
      ev('app', 'a'),
    ];
    expect(splitRepeats(events, [1, 2, 1, 3, 4])).toEqual({ staged: [0, 1, 3, 4], duplicates: [2] });
  });

  it('keeps apart different keys that share a hash, and still finds their repeats', () => {
    // Every event given the same hash: only the keys themselves tell them apart.
    const events = [
      ev('web', 'a'),
      ev('web', 'b'),
      ev('web', 'b'),
      ev('web', 'c'),
      ev('web', 'a'),
      ev('web', 'c'),
    ];
    expect(
      splitRepeats(
        events,
        events.map(() => 7),
      ),
    ).toEqual({ staged: [0, 1, 3], duplicates: [2, 4, 5] });
  });
});
