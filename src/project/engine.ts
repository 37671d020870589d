import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { Mutex } from '../core/mutex.js';
import type { SqlClient, Store } from '../store/store.js';
import { ensureHistory, historyTables, historyUpTo, saveHistory } from './history.js';
import type { OutputColumn, ProjectionPlan, VersionTables } from './plan.js';
import {
  activeVersion,
  allVersions,
  PROJECTION_MIGRATIONS,
  toVersionRow,
  type VersionRow,
} from './registry.js';

/** Another process folded the same range first: this fold is rolled back, and nothing is lost. */
class FoldRaced extends Error {}

// A write conflict between concurrent transactions (DuckDB) is the same race, lost.
function isConflict(err: unknown): boolean {
  return /conflict/i.test((err as Error)?.message ?? '');
}

/** Thrown when a projection is asked for before its first build finished. */
export class NotReadyError extends Error {
  constructor(name: string) {
    super(`projection ${name} is being built for the first time; retry shortly`);
    this.name = 'NotReadyError';
  }
}

/**
 * What changed in a projection's registry, told to the readers of this process as it commits: a fold moved a
 * version's speed seq (with the keys of a latest projection it touched), or a build swapped a new version in.
 */
export type VersionChange =
  | {
      readonly kind: 'fold';
      readonly name: string;
      readonly version: string;
      readonly speedSeq: number;
      /** Key rows (key columns only) the fold wrote to a latest projection's speed table. */
      readonly touched: readonly Record<string, unknown>[];
    }
  | { readonly kind: 'swap'; readonly name: string; readonly row: VersionRow };

/**
 * The batch and speed layers. A rebuild computes a version's batch tables from every event up to a
 * watermark, folds what arrived meanwhile into its speed tables, and swaps it in with one registry update;
 * the version it replaces serves until that moment. A fold appends the partial rows of the events committed
 * since the last fold to the active version's speed tables, in the same transaction as its new speed seq.
 */
export class ProjectionEngine {
  private readonly locks = new Map<string, Mutex>();
  private readonly dropLater = new Set<NodeJS.Timeout>();
  private builds = 0;
  private readonly listeners = new Set<(change: VersionChange) => void>();

  constructor(
    readonly store: Store,
    readonly plans: ReadonlyMap<string, ProjectionPlan>,
    readonly logger: Logger,
    /** How long a retired version's tables stay for readers that started before the swap. */
    private readonly retireAfterMs = 30_000,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate(PROJECTION_MIGRATIONS);
    for (const v of await allVersions(this.store)) {
      if (v.status === 'active') continue;
      await this.dropVersion(v);
    }
  }

  /** Names of projections whose current definition has no built version yet. */
  async stale(): Promise<string[]> {
    const out: string[] = [];
    for (const [name, plan] of this.plans) {
      const active = await activeVersion(this.store, name);
      if (!active || !isVersionOf(active, plan)) out.push(name);
    }
    return out;
  }

  /** Recomputes a projection from history up to `watermark` (default: everything stored) and swaps it in. */
  rebuild(name: string, watermark?: number): Promise<VersionRow> {
    const plan = this.plans.get(name);
    if (!plan) return Promise.reject(new Error(`no projection named ${name}`));
    return this.lock(name).run(() => this.build(plan, watermark));
  }

  /** Folds newly committed events into every incremental projection's speed layer. */
  async fold(): Promise<void> {
    const upTo = await this.store.lastSeq();
    for (const plan of this.plans.values()) {
      if (!plan.incremental) continue;
      await this.lock(plan.name).run(async () => {
        const active = await activeVersion(this.store, plan.name);
        if (!active || !isVersionOf(active, plan) || active.speedSeq >= upTo) return;
        await this.foldVersion(plan, active, upTo);
      });
    }
  }

  /**
   * Runs fn with every projection's lock held, so no build or fold runs meanwhile (retention and erasure
   * change the events under them).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const names = [...this.plans.keys()].sort();
    const hold = (i: number): Promise<T> =>
      i === names.length ? fn() : this.lock(names[i]!).run(() => hold(i + 1));
    return hold(0);
  }

  /** In a deletion's transaction: keeps the rolled-up rows of the events `where` matches, per keepHistory plan. */
  async keepHistory(tx: SqlClient, where: { sql: string; params: readonly unknown[] }): Promise<void> {
    for (const plan of this.plans.values()) {
      if (!plan.keepHistory) continue;
      await ensureHistory(this.store, plan, tx);
      await saveHistory(tx, this.store, plan, where);
    }
  }

  /** Calls listener after every fold and swap this engine commits; answers a function that stops it. */
  onChange(listener: (change: VersionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Drops every version that is not active now, instead of 30 s after its swap (an erasure: the versions it
   * replaced still hold the subject's rows). A read that started on one of them fails and can be retried.
   */
  async dropRetired(): Promise<void> {
    for (const t of this.dropLater) clearTimeout(t);
    this.dropLater.clear();
    for (const v of await allVersions(this.store))
      if (v.status !== 'active') await this.lock(v.name).run(() => this.dropVersion(v));
  }

  async close(): Promise<void> {
    for (const t of this.dropLater) clearTimeout(t);
  }

  private async build(plan: ProjectionPlan, watermark?: number): Promise<VersionRow> {
    const t0 = performance.now();
    const w = watermark ?? (await this.store.lastSeq());
    // Every build gets new tables, so the version being replaced serves untouched until the swap. The random
    // part keeps two processes' builds apart: two workers that started in the same millisecond made the same
    // name, and one's DROP TABLE IF EXISTS removed the tables of the other's version, which became active.
    const unique = randomInt(36 ** 4)
      .toString(36)
      .padStart(4, '0');
    const version = `${plan.hash}_${Date.now().toString(36)}${(this.builds++).toString(36)}${unique}`;
    const tables = tablesOf(this.store, plan, version);
    const all = [tables.batch, tables.speed, ...tables.pairs.flatMap((p) => [p.batch, p.speed])];
    for (const t of all) await this.store.exec(`DROP TABLE IF EXISTS ${t}`);
    await this.store.exec(`CREATE TABLE ${tables.batch} AS ${plan.partialSql(0, w)}`);
    await this.store.exec(`CREATE TABLE ${tables.speed} AS ${plan.partialSql(w, w)}`);
    if (plan.keyColumns.length > 0) {
      const q = (s: string) => this.store.dialect.quoteIdent(s);
      const cols = plan.keyColumns.map(q).join(', ');
      await this.store.exec(
        `CREATE INDEX ${q(`proj_${plan.name}_${version}_b_k`)} ON ${tables.batch} (${cols})`,
      );
      await this.store.exec(
        `CREATE INDEX ${q(`proj_${plan.name}_${version}_s_k`)} ON ${tables.speed} (${cols})`,
      );
    }
    for (const [i, pairs] of plan.pairs.entries()) {
      await this.store.exec(`CREATE TABLE ${tables.pairs[i]!.batch} AS ${pairs(0, w)}`);
      await this.store.exec(`CREATE TABLE ${tables.pairs[i]!.speed} AS ${pairs(w, w)}`);
    }
    let history: { table: string; pairs: string[]; upTo: number } | undefined;
    if (plan.keepHistory) {
      await ensureHistory(this.store, plan);
      history = { ...historyTables(this.store, plan), upTo: await historyUpTo(this.store, this.store, plan) };
    }
    const row: VersionRow = {
      name: plan.name,
      version,
      status: 'building',
      watermark: w,
      speedSeq: w,
      builtAt: new Date(),
      buildMs: Math.round(performance.now() - t0),
      mergedSql: plan.mergedSql(history ? { ...tables, history } : tables),
      // A sql projection's columns are whatever its query answers: read from the table it made.
      columns:
        plan.shape === 'sql'
          ? await tableColumns(this.store, `proj_${plan.name}_${version}_b`)
          : [...plan.columns],
      tables: all,
    };
    await this.store.exec(
      `INSERT INTO panoramix_projections (name, version, status, watermark, speed_seq, built_at, build_ms, merged_sql, columns, tables)
       VALUES ($1, $2, 'building', $3, $4, $5, $6, $7, $8, $9)`,
      [
        row.name,
        row.version,
        row.watermark,
        row.speedSeq,
        row.builtAt,
        row.buildMs,
        row.mergedSql,
        JSON.stringify(row.columns),
        JSON.stringify(row.tables),
      ],
    );
    // Catch up with what arrived during the build, then swap: readers see the old version or the new one.
    const upTo = await this.store.lastSeq();
    if (plan.incremental && upTo > w) await this.foldVersion(plan, row, upTo);
    // Another process may swap a version of the same projection at the same moment (two workers' initial
    // builds). The first statement locks every row of the projection, so the second swap waits for the first
    // and then retires what the first made active: there is never more than one active version. (Without
    // it, READ COMMITTED let each retire the active rows of its own snapshot, and both became active.)
    const previous = await this.store.transaction(async (tx) => {
      await tx.exec('UPDATE panoramix_projections SET status = status WHERE name = $1', [plan.name]);
      const retired = (
        await tx.query(
          "UPDATE panoramix_projections SET status = 'retired' WHERE name = $1 AND status = 'active' RETURNING *",
          [plan.name],
        )
      ).map(toVersionRow);
      await tx.exec("UPDATE panoramix_projections SET status = 'active' WHERE name = $1 AND version = $2", [
        plan.name,
        version,
      ]);
      return retired;
    });
    for (const v of previous) this.retire(v);
    const active: VersionRow = { ...row, status: 'active', speedSeq: Math.max(upTo, w) };
    this.tell({ kind: 'swap', name: plan.name, row: active });
    this.logger.info({ projection: plan.name, version, watermark: w, ms: row.buildMs }, 'projection built');
    return active;
  }

  // The speed seq moves first and only from the value this fold read: when several workers fold at once (server
  // mode), one wins the row and the others find it moved and roll back, so no range is folded twice.
  private async foldVersion(plan: ProjectionPlan, v: VersionRow, upTo: number): Promise<void> {
    const tables = tablesOf(this.store, plan, v.version);
    // A latest projection's fold answers the keys it wrote, so a reader's cache drops exactly those.
    const keys = plan.keyColumns.map((k) => this.store.dialect.quoteIdent(k)).join(', ');
    const returning = this.listeners.size > 0 && keys !== '' ? ` RETURNING ${keys}` : '';
    const touched = await this.store
      .transaction(async (tx) => {
        const moved = await tx.query(
          'UPDATE panoramix_projections SET speed_seq = $1 WHERE name = $2 AND version = $3 AND speed_seq = $4 RETURNING speed_seq',
          [upTo, plan.name, v.version, v.speedSeq],
        );
        if (moved.length === 0) throw new FoldRaced();
        const rows = await tx.query(
          `INSERT INTO ${tables.speed} ${plan.partialSql(v.speedSeq, upTo)}${returning}`,
        );
        for (const [i, pairs] of plan.pairs.entries())
          await tx.exec(`INSERT INTO ${tables.pairs[i]!.speed} ${pairs(v.speedSeq, upTo)}`);
        return rows;
      })
      .catch((err: unknown) => {
        if (!(err instanceof FoldRaced) && !isConflict(err)) throw err;
        return undefined;
      });
    if (touched)
      this.tell({
        kind: 'fold',
        name: plan.name,
        version: v.version,
        speedSeq: upTo,
        touched: returning ? touched : [],
      });
  }

  private tell(change: VersionChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.logger.error({ err, projection: change.name }, 'a projection change listener failed');
      }
    }
  }

  private retire(v: VersionRow): void {
    const t = setTimeout(() => {
      this.dropLater.delete(t);
      void this.lock(v.name)
        .run(() => this.dropVersion(v))
        .catch((err: Error) =>
          this.logger.warn({ err, projection: v.name }, 'could not drop a retired version'),
        );
    }, this.retireAfterMs);
    t.unref();
    this.dropLater.add(t);
  }

  private async dropVersion(v: VersionRow): Promise<void> {
    const current = await activeVersion(this.store, v.name);
    if (current?.version === v.version) return;
    for (const t of v.tables) await this.store.exec(`DROP TABLE IF EXISTS ${t}`);
    await this.store.exec(
      "DELETE FROM panoramix_projections WHERE name = $1 AND version = $2 AND status <> 'active'",
      [v.name, v.version],
    );
  }

  private lock(name: string): Mutex {
    let m = this.locks.get(name);
    if (!m) {
      m = new Mutex();
      this.locks.set(name, m);
    }
    return m;
  }
}

/** Whether a built version was built from this plan's definition. */
export function isVersionOf(v: VersionRow, plan: ProjectionPlan): boolean {
  return v.version.startsWith(`${plan.hash}_`);
}

/** The tables of one build of a plan, quoted. Names are validated identifiers plus hash and build id. */
export function tablesOf(store: Store, plan: ProjectionPlan, version: string): VersionTables {
  const q = (s: string) => store.dialect.quoteIdent(`proj_${plan.name}_${version}_${s}`);
  return {
    batch: q('b'),
    speed: q('s'),
    pairs: plan.pairs.map((_, i) => ({ batch: q(`bp${i}`), speed: q(`sp${i}`) })),
  };
}

/** A table's columns, in order, as projection output columns (types mapped from the engine's names). */
async function tableColumns(store: Store, table: string): Promise<OutputColumn[]> {
  const rows = await store.query(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
      WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => ({ name: String(r.name), type: columnType(String(r.type)) }));
}

function columnType(engineType: string): OutputColumn['type'] {
  const t = engineType.toLowerCase();
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'date') return 'date';
  if (t.startsWith('interval')) return 'text';
  if (t === 'integer' || t === 'int' || t === 'int4' || t === 'smallint') return 'integer';
  if (t.includes('int')) return 'bigint';
  if (/double|real|float|numeric|decimal/.test(t)) return 'double';
  if (t.startsWith('bool')) return 'boolean';
  if (t.startsWith('json')) return 'json';
  return 'text';
}
