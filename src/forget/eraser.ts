import { failpoint } from '../core/failpoint.js';
import { eraseFromLake } from '../lake/erase.js';
import { lifecycleTrackers } from '../lifecycle/service.js';
import { projectionEngine } from '../project/service.js';
import type { Runtime } from '../runtime.js';
import type { ErasureScope } from './config.js';
import {
  countAuditDetails,
  countEvents,
  countLifecycleRecords,
  countProjectionRows,
  countTransactions,
  deleteQuarantined,
  eraseFromHistory,
  eraseTransactions,
  quarantinedWith,
  rebuildProjections,
  scopeFilter,
  scrubAuditDetails,
} from './places.js';
import type { DeletionRecord, RequestLedger } from './request-ledger.js';
import type { Suppression } from './suppression.js';

/** One place a subject is removed from: what it has there, and the removal. */
interface Place {
  readonly name: string;
  count(): Promise<number>;
  /** The subject's own removal, per request. */
  remove?(): Promise<void>;
  /**
   * A recomputation from the events that remain (a projection's or a lifecycle's rebuild): the same for every
   * request, so it runs once per batch, after every request's events are gone, under this key.
   */
  readonly rebuild?: { readonly key: string; run(): Promise<void> };
}

/** A request with the places it is removed from. */
interface Planned {
  readonly d: DeletionRecord;
  readonly places: Place[];
}

/**
 * Carries out a batch of deletion requests (Segment sends up to 5,000 subjects at once): every place of
 * every request is counted first, before anything is removed, and each count is recorded; then the subjects
 * are suppressed (with one wait for other processes to see it), removed place by place, each place marked
 * done after, and the rebuilds they need run once for the batch. Interrupted anywhere (a SIGKILL), a rerun
 * skips what is done, keeps the recorded counts and removes again what may be half removed (every removal
 * finds nothing the second time), so it ends in the same state with the same audit. Returns the requests,
 * each with every place done and its subject's text dropped; the caller rewrites the store and marks them done.
 */
export async function carryOutBatch(
  runtime: Runtime,
  ledger: RequestLedger,
  suppression: Suppression,
  requests: readonly DeletionRecord[],
): Promise<DeletionRecord[]> {
  const planned: Planned[] = [];
  for (const d of requests) {
    // Every place emptied and the subject's text dropped: only the store's rewrite and `done` remain.
    if (d.status === 'done' || d.subject === null) continue;
    await ledger.markRunning(d.id);
    planned.push({ d: (await ledger.get(d.id))!, places: await placesOf(runtime, d, scopeOf(d, d.subject)) });
  }
  for (const { d, places } of planned)
    for (const p of places)
      if (d.counts[p.name] === undefined) await ledger.measured(d.id, p.name, await p.count());
  failpoint('forget.after-count');
  const undone = (d: DeletionRecord, name: string) => !d.doneSteps.includes(name);
  // Suppressed first, so nothing of the subjects arrives while the rest is removed.
  const suppressing = planned.filter(({ d }) => d.suppress && undone(d, 'suppression'));
  for (const { d } of suppressing) await suppression.add(d);
  // Other processes re-read the list on a timer: wait until they refuse the subjects (twice the period, for
  // events they accepted just before), so none of their events is stored after their events are removed.
  if (suppressing.length && runtime.store.shared)
    await new Promise((r) => setTimeout(r, 2 * runtime.config.erasure.refreshSeconds * 1000));
  for (const { d } of suppressing) await ledger.stepDone(d.id, 'suppression');
  for (const { d, places } of planned)
    for (const p of places) {
      if (!undone(d, p.name) || !p.remove) continue;
      await p.remove();
      failpoint(`forget.after-${p.name}`);
      if (!p.rebuild) await ledger.stepDone(d.id, p.name);
    }
  const rebuilds = new Map<string, () => Promise<void>>();
  for (const { d, places } of planned)
    for (const p of places) if (p.rebuild && undone(d, p.name)) rebuilds.set(p.rebuild.key, p.rebuild.run);
  for (const run of rebuilds.values()) await run();
  for (const { d, places } of planned) {
    for (const p of places) if (p.rebuild && undone(d, p.name)) await ledger.stepDone(d.id, p.name);
    await ledger.dropSubject(d.id);
  }
  return Promise.all(requests.map(async (d) => (await ledger.get(d.id))!));
}

function scopeOf(d: DeletionRecord, subject: string): ErasureScope {
  return {
    subject,
    ...(d.source !== null ? { source: d.source } : {}),
    ...(d.type !== null ? { type: d.type } : {}),
    ...(d.since !== null ? { since: Date.parse(d.since) } : {}),
    ...(d.until !== null ? { until: Date.parse(d.until) } : {}),
    suppress: d.suppress,
  };
}

async function placesOf(runtime: Runtime, d: DeletionRecord, scope: ErasureScope): Promise<Place[]> {
  const { store, config } = runtime;
  const places: Place[] = [];
  // Done by the batch (carryOutBatch) before the rest; listed for its count.
  if (d.suppress) places.push({ name: 'suppression', count: async () => 1 });
  places.push({
    name: 'events',
    count: () => countEvents(store, scope),
    remove: async () => {
      await store.deleteEvents(scopeFilter(scope));
    },
  });
  // Every count is taken before the first removal, so these count the records the events were folded into.
  for (const t of (await lifecycleTrackers(runtime)).values())
    places.push({
      name: `lifecycle:${t.name}`,
      count: () => countLifecycleRecords(store, t, scope),
      rebuild: { key: `lifecycle:${t.name}`, run: () => t.rebuild() }, // from the events that remain
    });
  places.push({
    name: 'quarantine',
    count: async () => (await quarantinedWith(store, scope)).length,
    remove: async () => deleteQuarantined(store, await quarantinedWith(store, scope)),
  });
  const engine = await projectionEngine(runtime);
  places.push({
    name: 'projections',
    count: () => countProjectionRows(engine, scope.subject),
    remove: () => eraseFromHistory(engine, scope.subject),
    rebuild: { key: 'projections', run: () => rebuildProjections(engine) },
  });
  places.push({
    name: 'audit_log',
    count: () => countAuditDetails(store, scope.subject),
    remove: () => scrubAuditDetails(store, scope.subject),
  });
  const lake = config.lake;
  if (lake)
    places.push({
      name: 'lake',
      count: () => eraseFromLake(lake, runtime.baseDir, scope, false),
      remove: async () => {
        await eraseFromLake(lake, runtime.baseDir, scope, true);
      },
    });
  if (config.matching) {
    const erase = config.erasure.transactions === 'erase';
    places.push({
      name: erase ? 'transactions' : 'transactions_kept',
      count: () => countTransactions(store, scope.subject),
      remove: async () => (erase ? eraseTransactions(store, scope.subject) : undefined),
    });
  }
  return places;
}
