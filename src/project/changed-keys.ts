import type { ProjectionEngine } from './engine.js';
import type { ChangedKeys } from './projection-reader.js';
import type { VersionRow } from './registry.js';

/** How many events' seqs one look at a change feed spans: a replay over millions reads them in steps. */
const SPAN = 100_000;

/**
 * The keys of a latest projection that events after `after` changed, up to what its active version has
 * folded: a key is listed once, with the highest seq of its changes in the range, so a row read after this
 * holds every change listed.
 */
export async function changedKeys(
  engine: ProjectionEngine,
  version: VersionRow,
  after: number,
  limit: number,
): Promise<ChangedKeys> {
  const plan = engine.plans.get(version.name);
  if (!plan?.changedKeysSql)
    throw new Error(`projection ${version.name} has no change feed: only latest projections have one`);
  const folded = version.speedSeq;
  const hi = Math.min(folded, after + SPAN);
  if (hi <= after) return { keys: [], scannedTo: after, more: false };
  const rows = await engine.store.query(plan.changedKeysSql(after, hi, limit));
  const keys = rows.map((r) => {
    const key: Record<string, unknown> = {};
    for (const k of plan.keyColumns) key[k] = r[k];
    return { key: key as ChangedKeys['keys'][number]['key'], seq: Number(r._seq) };
  });
  // A full page ends at its last key's seq: keys changed only later come in the next look.
  const scannedTo = keys.length === limit ? keys[keys.length - 1]!.seq : hi;
  return { keys, scannedTo, more: scannedTo < folded };
}
