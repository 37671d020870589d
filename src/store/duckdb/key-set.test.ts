import { describe, expect, it } from 'vitest';
import { keyHash } from '../../core/key-hash.js';
import { KeySet } from './key-set.js';

describe('KeySet', () => {
  it('never forgets a key it was given, across growth', () => {
    const set = new KeySet();
    const n = 300_000;
    for (let i = 0; i < n; i++) expect(set.add(keyHash('web', `id-${i}`))).toBe(false);
    for (let i = 0; i < n; i += 7) expect(set.mightContain(keyHash('web', `id-${i}`))).toBe(true);
    expect(set.size).toBe(n);
  });

  it('rarely mistakes a new key for a known one', () => {
    const set = new KeySet();
    for (let i = 0; i < 200_000; i++) set.add(keyHash('web', `id-${i}`));
    let falseHits = 0;
    for (let i = 0; i < 200_000; i++) if (set.mightContain(keyHash('web', `new-${i}`))) falseHits++;
    expect(falseHits).toBeLessThan(3);
  });

  it('keeps (source, id) pairs apart when the concatenation is the same', () => {
    expect(keyHash('ab', 'c')).not.toBe(keyHash('a', 'bc'));
  });
});

describe('keyHash with a CloudEvents source', () => {
  it('hashes a CloudEvents source equal to the source as none (rows stored before it keep their hash)', () => {
    expect(keyHash('web', 'e-1', 'web')).toBe(keyHash('web', 'e-1'));
    expect(keyHash('web', 'e-1', 'urn:x')).not.toBe(keyHash('web', 'e-1'));
    expect(keyHash('web', 'e-1', 'urn:x')).not.toBe(keyHash('web', 'e-1', 'urn:y'));
    expect(keyHash('web', 'b', 'a')).not.toBe(keyHash('web', 'a', 'b'));
  });
});
