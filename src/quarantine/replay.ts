import type { NewEvent } from '../core/event.js';
import type { Runtime } from '../runtime.js';
import type { QuarantineFilter } from './quarantine.js';

/** What a replay did. */
export interface ReplayOutcome {
  /** Inputs that now pass and are stored (or were already: the (source, id) key holds). */
  replayed: number;
  /** Of those, events the store already had. */
  duplicates: number;
  /** Inputs that still fail, with their new reason recorded. */
  stillFailing: number;
}

/**
 * Runs held inputs through the current mappings again. What passes goes through the normal durable path
 * and is marked replayed after its commit; a crash in between leaves it held, and the next replay stores
 * nothing twice because the store keeps (source, id) once.
 */
export async function replayQuarantine(
  runtime: Runtime,
  filter: QuarantineFilter = {},
  batch = 500,
): Promise<ReplayOutcome> {
  const q = runtime.quarantine;
  const outcome: ReplayOutcome = { replayed: 0, duplicates: 0, stillFailing: 0 };
  const items = await q.list({ ...filter, status: 'held', limit: filter.limit ?? 10_000 });
  for (let i = 0; i < items.length; i += batch) {
    const events: NewEvent[] = [];
    const ids: string[] = [];
    for (const item of items.slice(i, i + batch)) {
      if (item.rawEncoding !== 'utf8' || item.truncated) {
        await q.update(
          item.id,
          'unparseable',
          undefined,
          item.truncated
            ? 'the input was larger than the quarantine keeps; it cannot be replayed'
            : 'the input is not valid UTF-8',
        );
        outcome.stillFailing++;
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(item.raw);
      } catch (err) {
        await q.update(item.id, 'unparseable', undefined, `not valid JSON: ${(err as Error).message}`);
        outcome.stillFailing++;
        continue;
      }
      if (item.source !== 'unknown' && !runtime.keys.isDeclared(item.source)) {
        await q.update(
          item.id,
          'unknown_source',
          'source',
          `source "${item.source}" is not declared in the configuration`,
        );
        outcome.stillFailing++;
        continue;
      }
      const named =
        value && typeof value === 'object' ? (value as Record<string, unknown>).source : undefined;
      const source = item.source !== 'unknown' ? item.source : typeof named === 'string' ? named : undefined;
      if (!source) {
        await q.update(item.id, 'envelope', 'source', 'source is required');
        outcome.stillFailing++;
        continue;
      }
      const read = runtime.ingest.readerFor(source)(value, source, Date.now());
      if (!read.ok) {
        await q.update(item.id, 'envelope', read.field, read.error);
        outcome.stillFailing++;
        continue;
      }
      // The checks of an ingest, as the configuration is now (cloudevents.sources, contracts, the plan).
      const r = runtime.ingest.judge(read.event);
      if (r.kind !== 'ok') {
        await q.update(item.id, r.reason === 'suppressed' ? 'envelope' : r.reason, r.field, r.error);
        outcome.stillFailing++;
        continue;
      }
      events.push(r.event);
      ids.push(item.id);
    }
    if (events.length === 0) continue;
    const result = await runtime.committer.submit(events);
    await runtime.store.transaction(async (tx) => {
      await q.mark(tx, ids, 'replayed');
    });
    outcome.replayed += events.length;
    outcome.duplicates += result.duplicates.length;
  }
  return outcome;
}
