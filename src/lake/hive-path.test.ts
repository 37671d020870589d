import { describe, expect, it } from 'vitest';
import { escapePartitionValue, unescapePartitionValue } from './hive-path.js';

describe('Hive partition values', () => {
  it('round-trip slashes, equals signs, spaces, percents and Unicode', () => {
    for (const v of ['course-v1:edX+DemoX+2026', 'a/b=c d', '100%', 'Café ✓', '']) {
      const esc = escapePartitionValue(v);
      expect(esc).not.toMatch(/[/= ]/);
      expect(unescapePartitionValue(esc)).toBe(v);
    }
    expect(escapePartitionValue('a/b=c d')).toBe('a%2Fb%3Dc%20d');
    expect(unescapePartitionValue(escapePartitionValue(null))).toBeNull();
  });
});
