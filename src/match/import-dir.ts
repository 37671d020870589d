import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ImportReport, TransactionImporter } from './importer.js';
import { recordFormat } from './parse-records.js';
import { SIDES, type Side } from './transaction.js';

/**
 * Imports files dropped in <dir>/payment/<provider>/ and <dir>/scheme/<scheme>/ (CSV, JSON or NDJSON), then
 * moves each to <dir>/done/<side>/<owner>/ (or failed/ when it could not be read or its owner is unknown).
 * A file still being written is left for the next scan: it is taken once its size stops changing.
 */
export class ImportDirectory {
  private sizes = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly importer: TransactionImporter,
    private readonly log: Logger,
  ) {}

  async scan(): Promise<ImportReport[]> {
    const reports: ImportReport[] = [];
    for (const side of SIDES) {
      const sideDir = path.join(this.dir, side);
      await mkdir(sideDir, { recursive: true });
      for (const owner of await readdir(sideDir).catch(() => [] as string[])) {
        const ownerDir = path.join(sideDir, owner);
        if (!(await stat(ownerDir)).isDirectory()) continue;
        for (const name of (await readdir(ownerDir)).sort()) {
          const file = path.join(ownerDir, name);
          const format = recordFormat(name);
          if (!format || !(await stat(file)).isFile()) continue;
          const size = (await stat(file)).size;
          if (this.sizes.get(file) !== size) {
            this.sizes.set(file, size);
            continue;
          }
          this.sizes.delete(file);
          reports.push(...(await this.importFile(side, owner, file)));
        }
      }
    }
    return reports;
  }

  private async importFile(side: Side, owner: string, file: string): Promise<ImportReport[]> {
    try {
      const report = await this.importer.importFile(side, owner, file);
      if (report.error) {
        this.log.warn({ file, error: report.error }, 'import stopped; the file stays for the next scan');
        return [report];
      }
      this.log.info(
        {
          file,
          matchGroup: report.matchGroup,
          accepted: report.accepted,
          duplicates: report.duplicates,
          rejected: report.rejected.length,
          alreadyImportedAs: report.alreadyImportedAs,
        },
        'imported transactions file',
      );
      await this.move(file, 'done', side, owner);
      return [report];
    } catch (err) {
      this.log.error({ file, err }, 'could not import the file; moved to failed/');
      await this.move(file, 'failed', side, owner);
      return [];
    }
  }

  private async move(file: string, to: 'done' | 'failed', side: Side, owner: string): Promise<void> {
    const dest = path.join(this.dir, to, side, owner);
    await mkdir(dest, { recursive: true });
    await rename(file, path.join(dest, `${Date.now()}-${path.basename(file)}`));
  }
}
