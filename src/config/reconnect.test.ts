import { describe, expect, it } from 'vitest';
import { defaultBackoff } from '../core/backoff.js';
import { parseConfig } from './load.js';

describe('reconnect settings', () => {
  it('default to the backoff the code documents, and read durations as milliseconds', () => {
    expect(parseConfig('project: x').reconnect).toEqual(defaultBackoff);
    expect(
      parseConfig('reconnect: { initial: 200ms, max: 2s, stableAfter: 1m, jitter: 0 }').reconnect,
    ).toEqual({
      initialMs: 200,
      maxMs: 2000,
      multiplier: 2,
      jitter: 0,
      stableAfterMs: 60_000,
    });
  });

  it('refuses a cap below the first wait, and what is not a duration', () => {
    expect(() => parseConfig('reconnect: { initial: 3s, max: 2s }')).toThrow(
      /max must not be shorter than initial/,
    );
    expect(() => parseConfig('reconnect: { max: soon }')).toThrow(/must be a duration/);
  });
});
