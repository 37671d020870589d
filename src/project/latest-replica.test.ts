import { describe, expect, it } from 'vitest';
import { LatestReplica } from './latest-replica.js';

describe('LatestReplica', () => {
  it('gives every row back as it was kept: times, numbers, nested values, absent and stale keys', () => {
    const r = new LatestReplica('v1');
    const rows = {
      plain: { k: 'a', n: 1.5, ok: true, none: null, at: new Date('2026-11-24T10:00:00.123Z') },
      nested: { k: 'b', list: ['x', 1], at: new Date(0) },
      notJson: { k: 'c', n: Number.NaN, at: null },
      negativeZero: { k: 'd', n: -0, at: null },
      infinite: { k: 'e', n: Number.POSITIVE_INFINITY, at: null },
    };
    for (const [key, row] of Object.entries(rows)) r.set(key, [row]);
    for (const [key, row] of Object.entries(rows)) expect(r.get(key), key).toEqual([row]);
    expect(Object.is(r.get('negativeZero')![0]!.n, -0)).toBe(true);
    expect(r.get('plain')![0]!.at).toBeInstanceOf(Date);
    expect(rows.plain.at).toBeInstanceOf(Date); // the rows it was given are the caller's: not changed
    r.load('loaded', { k: 'f', at: new Date(5) });
    expect(r.get('loaded')).toEqual([{ k: 'f', at: new Date(5) }]);
    expect(r.get('absent')).toEqual([]);
    expect(r.size).toBe(6);
    r.touch('plain');
    expect(r.get('plain')).toBeUndefined();
    r.set('plain', []);
    expect(r.get('plain')).toEqual([]);
    expect(r.size).toBe(5);
  });
});
