import type { IngestGate } from '../collect/ingest.js';
import type { NewEvent } from '../core/event.js';
import type { Store } from '../store/store.js';
import { type DeletionRecord, subjectHash } from './request-ledger.js';

interface Entry {
  readonly source: string | null;
  readonly type: string | null;
  readonly deletionId: string;
}

/**
 * The erased subjects whose new events are refused at ingest, known by the hash of their text (the list
 * keeps no subject). Held in memory for the ingest path and re-read from the store on a timer, so an
 * erasure requested through another process reaches this one within `refreshMs`. An empty list costs
 * nothing per event; otherwise one SHA-256 per event with a subject.
 */
export class Suppression implements IngestGate {
  private entries = new Map<string, Entry[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly refreshMs: number,
  ) {}

  async load(): Promise<void> {
    const rows = await this.store.query(
      'SELECT subject_hash, source, type, deletion_id FROM panoramix_suppressions',
    );
    const next = new Map<string, Entry[]>();
    for (const r of rows) {
      const list = next.get(r.subject_hash as string) ?? [];
      list.push({
        source: (r.source as string | null) ?? null,
        type: (r.type as string | null) ?? null,
        deletionId: r.deletion_id as string,
      });
      next.set(r.subject_hash as string, list);
    }
    this.entries = next;
  }

  start(onError: (err: Error) => void): void {
    this.timer = setInterval(() => void this.load().catch(onError), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Suppresses a request's subject (once, however often a resumed request calls it). */
  async add(d: DeletionRecord): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.exec('DELETE FROM panoramix_suppressions WHERE deletion_id = $1', [d.id]);
      await tx.exec(
        'INSERT INTO panoramix_suppressions (subject_hash, source, type, deletion_id, since) VALUES ($1, $2, $3, $4, $5)',
        [d.subjectHash, d.source, d.type, d.id, new Date()],
      );
    });
    await this.load();
  }

  refusal(e: NewEvent): string | null {
    if (this.entries.size === 0 || e.subject === null) return null;
    const hit = this.entries
      .get(subjectHash(e.subject))
      ?.find((x) => (x.source === null || x.source === e.source) && (x.type === null || x.type === e.type));
    return hit
      ? `subject ${JSON.stringify(e.subject)} was erased on request (${hit.deletionId}); its new events are refused`
      : null;
  }

  // The envelope's subject and Segment's userId/anonymousId: where an unread input names its subject.
  mustNotKeep(value: unknown): boolean {
    if (this.entries.size === 0 || value === null || typeof value !== 'object') return false;
    const v = value as Record<string, unknown>;
    return [v.subject, v.userId, v.anonymousId].some(
      (s) => typeof s === 'string' && this.entries.has(subjectHash(s)),
    );
  }
}
