import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BodyItem } from '../collect/body.js';
import type { Rejection } from '../collect/ingest.js';
import type { Runtime } from '../runtime.js';
import type { MatchingConfig } from './config.js';
import { MatchingError } from './errors.js';
import { type FileRecord, parseRecords, recordFormat } from './parse-records.js';
import { normalizeRecord, type Side, transactionEvent } from './transaction.js';

// Records per ingest call: a group commit's worth, so a million-row file neither waits on one huge commit
// nor overflows the ingest queue.
const CHUNK = 10_000;

/** Where an import batch came from. */
export interface ImportOrigin {
  readonly origin: 'file' | 'upload' | 'queue';
  readonly name?: string;
  /** The content's digest: a file imported twice is recognized and not imported again. */
  readonly content?: Buffer | string;
}

/** What an import did, as the API, the CLI and the import log report it. */
export interface ImportReport {
  readonly matchGroup: string;
  readonly side: Side;
  readonly owner: string;
  readonly records: number;
  readonly accepted: number;
  /** Transactions already stored (the same transaction imported before): no effect. */
  readonly duplicates: number;
  readonly rejected: Rejection[];
  /** Set when this very file was imported before: the group it was imported as. Nothing was imported. */
  readonly alreadyImportedAs?: string;
  /** The store could not take the batch (it is full or failing): retry. */
  readonly error?: string;
}

/**
 * Imports transaction records of one provider or scheme as events through the shared ingest path (so each
 * is durable when reported, stored once per transaction, and a bad record is refused with its line and
 * field, and quarantined), then logs the batch under a new match group.
 */
export class TransactionImporter {
  constructor(
    private readonly runtime: Runtime,
    private readonly config: MatchingConfig,
  ) {}

  async import(
    side: Side,
    owner: string,
    records: readonly FileRecord[],
    from: ImportOrigin,
  ): Promise<ImportReport> {
    const { store } = this.runtime;
    const known = await store.query(
      `SELECT slug FROM ${side === 'payment' ? 'match_providers' : 'match_schemes'} WHERE slug = $1`,
      [owner],
    );
    if (known.length === 0)
      throw new MatchingError(
        `${owner} is not a ${side === 'payment' ? 'payment provider' : 'loyalty scheme'}: add it first (panoramix match ${side === 'payment' ? 'provider' : 'scheme'} add ${owner})`,
        404,
      );
    const digest = from.content === undefined ? null : sha256(`${side}\u0000${owner}\u0000`, from.content);
    if (digest) {
      const seen = await store.query('SELECT match_group FROM match_import_files WHERE sha256 = $1', [
        digest,
      ]);
      if (seen[0])
        return {
          matchGroup: String(seen[0].match_group),
          side,
          owner,
          records: records.length,
          accepted: 0,
          duplicates: 0,
          rejected: [],
          alreadyImportedAs: String(seen[0].match_group),
        };
    }
    const matchGroup = randomUUID();
    const read = (value: unknown, source: string, receivedAt: number) => {
      const r = normalizeRecord(side, owner, value as Record<string, unknown>, this.config);
      return r.ok
        ? {
            ok: true as const,
            event: transactionEvent(side, r.fields, source, matchGroup, value, receivedAt),
          }
        : r;
    };
    const caller = { kind: 'source' as const, source: this.config.source };
    let accepted = 0;
    let duplicates = 0;
    const rejected: Rejection[] = [];
    for (let at = 0; at < records.length; at += CHUNK) {
      const items: BodyItem[] = records.slice(at, at + CHUNK).map((r) => ({
        index: r.index,
        line: r.line,
        raw: r.raw,
        ...(r.error !== undefined ? { error: r.error } : { value: r.value }),
      }));
      const out = await this.runtime.ingest.handle(items, caller, read, { checked: true });
      if (out.status >= 500 || out.status === 401 || out.status === 403) {
        return {
          matchGroup,
          side,
          owner,
          records: records.length,
          accepted,
          duplicates,
          rejected: [...rejected, ...out.rejected],
          error: `stopped at record ${at + 1}: ${out.error ?? `status ${out.status}`}; import the file again to finish (what was stored is not stored twice)`,
        };
      }
      accepted += out.accepted - out.duplicates;
      duplicates += out.duplicates;
      rejected.push(...out.rejected);
    }
    await store.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO match_imports (match_group, side, origin, name, sha256, records, accepted, duplicates, rejected, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          matchGroup,
          side,
          from.origin,
          from.name ?? owner,
          digest,
          records.length,
          accepted,
          duplicates,
          rejected.length,
          new Date(),
        ],
      );
      if (digest)
        await tx.exec(
          'INSERT INTO match_import_files (sha256, match_group) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [digest, matchGroup],
        );
    });
    return { matchGroup, side, owner, records: records.length, accepted, duplicates, rejected };
  }

  /** Imports one file (.csv, .json or .ndjson); a file whose content was imported before is skipped. */
  async importFile(side: Side, owner: string, file: string): Promise<ImportReport> {
    const format = recordFormat(file);
    if (!format) throw new MatchingError(`${file}: name a .csv, .json or .ndjson file`);
    const content = await readFile(file);
    return this.import(side, owner, parseRecords(content.toString('utf8'), format), {
      origin: 'file',
      name: path.basename(file),
      content,
    });
  }

  /** The import log, newest first. */
  async log(limit = 100): Promise<Record<string, unknown>[]> {
    return this.runtime.store.query(
      `SELECT match_group, side, origin, name, records, accepted, duplicates, rejected, imported_at
         FROM match_imports ORDER BY imported_at DESC LIMIT $1`,
      [Math.trunc(limit)],
    );
  }
}

function sha256(prefix: string, content: Buffer | string): string {
  return createHash('sha256').update(prefix).update(content).digest('hex');
}
