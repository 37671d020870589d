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
  eraseFromProjections,
  eraseTransactions,
  quarantinedWith,
  scopeFilter,
  scrubAuditDetails,
} from './places.js';
import type { DeletionRecord, RequestLedger } from './request-ledger.js';
import type { Suppression } from './suppression.js';

/** One place a subject is removed from: what it has there, and the removal. */
interface Place {
  readonly name: string;
  count(): Promise<number>;
  remove(): Promise<void>;
}

/**
 * Carries out one deletion request. Every place is counted first, before anything is removed, and each
 * count is recorded; then the places are emptied in order, each marked done after. Interrupted anywhere
 * (a SIGKILL), a rerun skips what is done, keeps the recorded counts and removes again what may be half
 * removed (every removal finds nothing the second time), so it ends in the same state with the same audit.
 * Suppression comes first, so that nothing of the subject arrives while the rest is removed.
 */
export async function carryOut(
  runtime: Runtime,
  ledger: RequestLedger,
  suppression: Suppression,
  d: DeletionRecord,
): Promise<DeletionRecord> {
  if (d.status === 'done') return d;
  // Every place emptied and the subject's text dropped: only the store's rewrite and `done` remain (service.ts).
  if (d.subject === null) return d;
  const scope: ErasureScope = {
    subject: d.subject,
    ...(d.source !== null ? { source: d.source } : {}),
    ...(d.type !== null ? { type: d.type } : {}),
    ...(d.since !== null ? { since: Date.parse(d.since) } : {}),
    ...(d.until !== null ? { until: Date.parse(d.until) } : {}),
    suppress: d.suppress,
  };
  const places = await placesOf(runtime, suppression, d, scope);
  await ledger.markRunning(d.id);
  const measured = (await ledger.get(d.id))!;
  for (const p of places)
    if (measured.counts[p.name] === undefined) await ledger.measured(d.id, p.name, await p.count());
  failpoint('forget.after-count');
  for (const p of places) {
    if (measured.doneSteps.includes(p.name)) continue;
    await p.remove();
    failpoint(`forget.after-${p.name}`);
    await ledger.stepDone(d.id, p.name);
  }
  await ledger.dropSubject(d.id);
  return (await ledger.get(d.id))!;
}

async function placesOf(
  runtime: Runtime,
  suppression: Suppression,
  d: DeletionRecord,
  scope: ErasureScope,
): Promise<Place[]> {
  const { store, config } = runtime;
  const places: Place[] = [];
  if (d.suppress)
    places.push({
      name: 'suppression',
      count: async () => 1,
      remove: async () => {
        await suppression.add(d);
        // Other processes re-read the list on a timer: wait until they refuse the subject (twice the period,
        // for events they accepted just before), so none of its events is stored after its events are removed.
        if (store.shared) await new Promise((r) => setTimeout(r, 2 * config.erasure.refreshSeconds * 1000));
      },
    });
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
      remove: () => t.rebuild(), // from the events that remain
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
    remove: () => eraseFromProjections(engine, scope.subject),
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
