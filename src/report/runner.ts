import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { toCsv } from '../core/csv.js';
import { parseDuration } from '../core/time.js';
import type { Runtime } from '../runtime.js';
import { replaceNamed } from '../store/named-params.js';
import { Params } from '../store/sql-params.js';
import type { Row } from '../store/store.js';
import { BUILTIN_REPORTS } from './builtin.js';
import type { ReportConfig } from './config.js';
import { getRun, REPORT_MIGRATIONS, type RunRecord } from './runs.js';

/** What a run is asked for: the window's end and length, extra parameters, where to write. */
export interface RunRequest {
  readonly end?: Date;
  readonly offset?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** The schedule time this run is for (scheduled runs only). */
  readonly scheduledFor?: Date;
  /** Write here instead of the report's output template. */
  readonly out?: string;
}

/** A report's rows and the columns to write them under. */
export interface ReportResult {
  readonly columns: readonly string[];
  readonly rows: Row[];
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly sql?: { text: string; params: unknown[] };
}

/** Computes reports, writes their files (temp name, then rename) and records every run. */
export class ReportRunner {
  private readonly running = new Set<string>();
  private migrated = false;

  constructor(private readonly runtime: Runtime) {}

  get definitions(): Readonly<Record<string, ReportConfig>> {
    return this.runtime.config.reports;
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  async migrate(): Promise<void> {
    if (this.migrated) return;
    await this.runtime.store.migrate(REPORT_MIGRATIONS);
    this.migrated = true;
  }

  /** Computes a report's rows for a window, without writing or recording anything. */
  async compute(name: string, req: RunRequest = {}): Promise<ReportResult> {
    const def = this.definitions[name];
    if (!def) throw new Error(`no report named ${name}`);
    const offsetText = req.offset ?? def.offset;
    const offset = parseDuration(offsetText);
    if (Number.isNaN(offset))
      throw new Error(`offset must be a duration such as 15m or 2h, not ${JSON.stringify(offsetText)}`);
    const windowEnd = req.end ?? new Date();
    const windowStart = new Date(windowEnd.getTime() - offset);
    const params = { ...def.params, ...req.params };
    const store = this.runtime.store;
    if (def.builtin) {
      const b = BUILTIN_REPORTS[def.builtin]!;
      const sql = { text: b.sql(store.dialect), params: [windowStart, windowEnd] };
      return {
        columns: b.columns,
        rows: await store.query(sql.text, sql.params),
        windowStart,
        windowEnd,
        sql,
      };
    }
    if (def.sql) {
      const sql = bindNamed(def.sql, { ...params, start: windowStart, end: windowEnd });
      const rows = await store.query(sql.text, sql.params);
      return { columns: rows[0] ? Object.keys(rows[0]) : [], rows, windowStart, windowEnd, sql };
    }
    const projections = this.runtime.projections;
    if (!projections) throw new Error('projections are not enabled in this process');
    const answer = def.query
      ? await projections.runQuery(def.query, {
          ...params,
          ...(req.end ? { end: windowEnd.toISOString() } : {}),
        })
      : await projections.read(def.projection!, { limit: 10_000 });
    return { columns: answer.columns.map((c) => c.name), rows: answer.rows, windowStart, windowEnd };
  }

  /** Runs a report: computes, writes the file, records the run. A failure is recorded, then rethrown. */
  async run(name: string, req: RunRequest = {}): Promise<RunRecord> {
    await this.migrate();
    const def = this.definitions[name];
    if (!def) throw new Error(`no report named ${name}`);
    const id = randomUUID();
    const end = req.end ?? req.scheduledFor ?? new Date();
    const offset = parseDuration(req.offset ?? def.offset);
    const store = this.runtime.store;
    const params = { ...def.params, ...req.params, offset: req.offset ?? def.offset };
    if (this.running.has(name)) {
      await store.exec(
        `INSERT INTO panoramix_report_runs (id, report, scheduled_for, started_at, finished_at, window_start, window_end, params, status, error)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, 'skipped', $8)`,
        [
          id,
          name,
          req.scheduledFor ?? null,
          new Date(),
          new Date(end.getTime() - (offset || 0)),
          end,
          JSON.stringify(params),
          'the previous run of this report was still going',
        ],
      );
      return (await getRun(store, id))!;
    }
    this.running.add(name);
    await store.exec(
      `INSERT INTO panoramix_report_runs (id, report, scheduled_for, started_at, window_start, window_end, params, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running')`,
      [
        id,
        name,
        req.scheduledFor ?? null,
        new Date(),
        new Date(end.getTime() - (Number.isNaN(offset) ? 0 : offset)),
        end,
        JSON.stringify(params),
      ],
    );
    try {
      const result = await this.compute(name, { ...req, end });
      const file = req.out ?? this.outputPath(name, def, end);
      const bytes = await this.write(result, def.format, file);
      await store.exec(
        "UPDATE panoramix_report_runs SET status = 'ok', finished_at = $2, rows = $3, file = $4, bytes = $5 WHERE id = $1",
        [id, new Date(), result.rows.length, file, bytes],
      );
    } catch (err) {
      await store.exec(
        "UPDATE panoramix_report_runs SET status = 'failed', finished_at = $2, error = $3 WHERE id = $1",
        [id, new Date(), (err as Error).message],
      );
      this.runtime.logger.error({ err, report: name }, 'report run failed');
    } finally {
      this.running.delete(name);
    }
    return (await getRun(store, id))!;
  }

  outputPath(name: string, def: ReportConfig, end: Date): string {
    const ext = def.format;
    const rel = def.output
      .replaceAll('{name}', name)
      .replaceAll('{end}', end.toISOString())
      .replaceAll('{ext}', ext);
    return path.resolve(this.runtime.baseDir, rel);
  }

  // Written under a temporary name and renamed, so a reader never sees half a file.
  private async write(result: ReportResult, format: ReportConfig['format'], file: string): Promise<number> {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    try {
      if (format === 'parquet') {
        const store = this.runtime.store;
        if (!store.copyToParquet || !result.sql)
          throw new Error('Parquet reports need the DuckDB store and a builtin or sql report');
        await store.copyToParquet(result.sql.text, result.sql.params, tmp);
      } else {
        const text =
          format === 'csv'
            ? toCsv(result.rows, result.columns as string[])
            : format === 'json'
              ? JSON.stringify(result.rows, null, 2) + '\n'
              : result.rows.map((r) => JSON.stringify(r)).join('\n') + (result.rows.length ? '\n' : '');
        const fd = fs.openSync(tmp, 'w');
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      return fs.statSync(file).size;
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}

/** Replaces :name with bound $n parameters (outside string literals and :: casts). */
export function bindNamed(
  sql: string,
  values: Readonly<Record<string, unknown>>,
): { text: string; params: unknown[] } {
  const params = new Params();
  const text = replaceNamed(sql, (name) => {
    if (!(name in values))
      throw new Error(
        `the report's SQL uses :${name}, which has no value (params: ${Object.keys(values).join(', ')})`,
      );
    return params.named(name, () => values[name]);
  });
  return { text, params: params.values };
}
