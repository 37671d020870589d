import type { ReplayFrom } from './admin.js';

/** Reads where a replay starts from the CLI's or the API's options; a string says what is wrong. */
export function replayFromOf(o: { fromSeq?: unknown; since?: unknown }): ReplayFrom | string {
  const hasSeq = o.fromSeq !== undefined && o.fromSeq !== null;
  const hasSince = o.since !== undefined && o.since !== null;
  if (hasSeq === hasSince) return 'a replay needs one of fromSeq (a seq) or since (a time)';
  if (hasSeq) {
    const n = Number(o.fromSeq);
    if (!Number.isInteger(n) || n < 1) return 'fromSeq must be a whole number, 1 or more';
    return { fromSeq: n };
  }
  const since = new Date(String(o.since));
  if (Number.isNaN(since.getTime())) return 'since must be a time such as 2026-12-01T00:00:00Z';
  return { since };
}
