import type { Telemetry } from '../core/telemetry.js';
import type { GroupCommitter } from './group-commit.js';
import type { Percentiles } from './percentiles.js';

export type IngestionLag = Record<
  string,
  { delayMs: ReturnType<Percentiles['summary']>; oldestPendingMs: number }
>;

/** Per source: the delay from event time to receipt (percentiles, ms) and the oldest event not yet durable. */
export function ingestionLag(committer: GroupCommitter, telemetry: Telemetry): IngestionLag {
  const pending = committer.oldestPendingBySource();
  const out: IngestionLag = {};
  for (const source of new Set([...telemetry.delays.keys(), ...Object.keys(pending)])) {
    const p = telemetry.delays.get(source);
    out[source] = {
      delayMs: p ? p.summary() : { p50: null, p90: null, p99: null, max: null },
      oldestPendingMs: pending[source] ?? 0,
    };
  }
  return out;
}
