import type { QuarantineInput } from '../quarantine/quarantine.js';
import type { Runtime } from '../runtime.js';
import type { MatchingConfig } from './config.js';
import { MatchingError } from './errors.js';
import type { TransactionImporter } from './importer.js';
import type { FileRecord } from './parse-records.js';
import type { Side } from './transaction.js';

/**
 * A batch from an import queue: each message a JSON record, or an array of them, naming its provider (payment
 * queue) or scheme (scheme queue). Each owner's records import as one match group; what cannot be read, or
 * names an owner that is not in the reference data, is quarantined with the reason. Throws (so the batch goes
 * back to the queue) only when the store could not take it.
 */
export async function importFromQueue(
  runtime: Runtime,
  m: { readonly config: MatchingConfig; readonly importer: TransactionImporter },
  side: Side,
  batch: { body: Buffer }[],
): Promise<void> {
  const ownerKey = side === 'payment' ? 'provider' : 'scheme';
  const byOwner = new Map<string, FileRecord[]>();
  const held: QuarantineInput[] = [];
  const hold = (raw: string, error: string) =>
    held.push({ source: m.config.source, raw, reason: 'envelope', field: ownerKey, error });
  const unnamed = `an import message must be a JSON object (or an array of them) naming its ${ownerKey}`;
  batch.forEach((d, message) => {
    const text = d.body.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      hold(text, unnamed);
      return;
    }
    for (const r of Array.isArray(value) ? value : [value]) {
      const owner = r && typeof r === 'object' ? (r as Record<string, unknown>)[ownerKey] : undefined;
      const raw = Array.isArray(value) ? JSON.stringify(r) : text;
      if (typeof owner !== 'string' || !owner) {
        hold(raw, unnamed);
        continue;
      }
      const records = byOwner.get(owner) ?? [];
      byOwner.set(owner, records);
      records.push({ index: records.length, line: message + 1, raw, value: r as Record<string, unknown> });
    }
  });
  for (const [owner, records] of byOwner) {
    try {
      const report = await m.importer.import(side, owner, records, {
        origin: 'queue',
        name: `${side} queue`,
      });
      if (report.error) throw new Error(report.error);
    } catch (err) {
      if (!(err instanceof MatchingError)) throw err;
      for (const r of records) hold(r.raw, err.message);
    }
  }
  if (held.length) await runtime.quarantine.put(held);
}
