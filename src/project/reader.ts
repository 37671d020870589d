import { createHash } from 'node:crypto';
import { scanNamed } from '../store/named-params.js';
import { Params } from '../store/sql-params.js';
import type { Row, Store } from '../store/store.js';
import { changedKeys } from './changed-keys.js';
import type { QueryConfig } from './config.js';
import { isVersionOf, NotReadyError, type ProjectionEngine } from './engine.js';
import { KeyLookups } from './key-lookups.js';
import { keyOf } from './key-of.js';
import { mergeLatest } from './latest-merge.js';
import { loadReplica } from './latest-replica.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import type { OutputColumn, ProjectionPlan } from './plan.js';
import type {
  ChangedKeys,
  Freshness,
  ProjectionAnswer,
  ProjectionQuery,
  ProjectionReader,
} from './projection-reader.js';
import { QueryError } from './query-error.js';
import { filterSql, typed, typedParam } from './read-values.js';
import { activeVersion, type VersionRow } from './registry.js';
import { ServingCache } from './serving-cache.js';
import { StampedPages } from './stamped-pages.js';

const MAX_LIMIT = 10_000;

/** Reads projections (batch ∪ speed) and runs named queries, with bound parameters only. */
export class ProjectionReaderImpl implements ProjectionReader {
  /** In-memory versions and hot keys, only where no other process changes the store behind this one. */
  private readonly cache: ServingCache | undefined;
  private readonly lookups: KeyLookups;
  /** Pages by the registry stamp they were read at, where other processes change the store (PostgreSQL). */
  private readonly stamped: StampedPages | undefined;

  constructor(
    private readonly engine: ProjectionEngine,
    private readonly queries: Readonly<Record<string, QueryConfig>>,
  ) {
    this.cache = engine.store.exclusive
      ? new ServingCache(engine, (name) => engine.plans.get(name)?.keyColumns ?? [])
      : undefined;
    this.stamped = engine.store.exclusive ? undefined : new StampedPages();
    this.lookups = new KeyLookups(engine.store, (name) => engine.plans.get(name)?.keyColumns ?? []);
  }

  /** Keys of each latest projection held whole in memory (DuckDB; none elsewhere). */
  replicaKeys(): Map<string, number> {
    return this.cache?.replicaKeys() ?? new Map();
  }

  names(): string[] {
    return [...this.engine.plans.keys()];
  }

  queryNames(): string[] {
    return Object.keys(this.queries);
  }

  /** The active version's row, or NotReadyError before the first build. */
  async version(name: string): Promise<VersionRow> {
    if (!this.engine.plans.has(name)) throw new QueryError(`no projection named ${name}`);
    const kept = this.cache?.version(name);
    if (kept) return kept;
    const generation = this.cache?.generation(name) ?? 0;
    const v = await activeVersion(this.engine.store, name);
    if (!v) throw new NotReadyError(name);
    this.cache?.keepVersion(v, generation);
    return v;
  }

  async changedKeys(name: string, after: number, limit: number): Promise<ChangedKeys> {
    return changedKeys(this.engine, await this.version(name), after, limit);
  }

  /** Reads a projection; `at`, the active version the caller just read (for its ETag), saves reading it again. */
  async read(name: string, query: ProjectionQuery = {}, at?: VersionRow): Promise<ProjectionAnswer> {
    let v = at?.name === name ? at : await this.version(name);
    const incremental = this.engine.plans.get(name)?.incremental ?? false;
    const key = this.keyLookup(v, query);
    if (key) {
      // Where this process sees every change (DuckDB), a read during which none landed is exactly the state the
      // version says; one that overlapped a fold is read again, so rows and freshness always agree.
      for (let attempt = 0; ; attempt++) {
        const generation = this.cache?.generation(name);
        const rows = await this.readKey(v, key);
        if (!this.cache || this.cache.generation(name) === generation || attempt === 3)
          return { columns: v.columns, rows, freshness: freshness(v, incremental), nextCursor: null };
        v = await this.version(name);
        if (!this.keyLookup(v, query)) break;
      }
    }
    const page = JSON.stringify([
      query.filters ?? {},
      query.sort ?? [],
      query.limit ?? null,
      query.cursor ?? null,
    ]);
    const kept = this.cache ? this.cache.page(name, page) : this.stamped?.get(v, page);
    if (kept) return { ...kept, freshness: freshness(this.cache?.version(name) ?? v, incremental) };
    const generation = this.cache?.generation(name) ?? 0;
    const sql = await this.selectSql(v, query);
    const rows = await this.engine.store.query(sql.text, sql.params);
    const more = rows.length > sql.limit;
    if (more) rows.pop();
    const answer = {
      // A sql version built before its columns were recorded has none: its rows say what they are.
      columns:
        v.columns.length || !rows[0]
          ? v.columns
          : Object.keys(rows[0]).map((c) => ({ name: c, type: 'unknown' })),
      rows,
      freshness: freshness(v, incremental),
      nextCursor: more ? encodeCursor(sql.offset + sql.limit, sql.fingerprint) : null,
    };
    if (this.cache) this.cache.keepPage(name, v.version, page, answer, generation);
    else this.stamped?.keep(v, await activeVersion(this.engine.store, name), page, answer);
    return answer;
  }

  /** The SQL and parameters of a read (also used to export Parquet through the store). */
  async selectSql(v: VersionRow, query: ProjectionQuery) {
    const known = new Map(v.columns.map((c) => [c.name, c]));
    const checkColumn = (c: string) => {
      if (known.size > 0 && !known.has(c)) {
        throw new QueryError(
          `unknown column ${JSON.stringify(c)}; columns are ${[...known.keys()].join(', ')}`,
        );
      }
    };
    const q = (c: string) => this.engine.store.dialect.quoteIdent(c);
    const params = new Params();
    const bind = (value: unknown) => params.add(value);
    const where: string[] = [];
    for (const [col, filters] of Object.entries(query.filters ?? {})) {
      checkColumn(col);
      for (const f of filters) where.push(filterSql(q(col), f, known.get(col), bind));
    }
    const sort = query.sort?.length
      ? query.sort.map((s) => {
          checkColumn(s.column);
          return `${q(s.column)} ${s.desc ? 'DESC' : 'ASC'}`;
        })
      : v.columns.slice(0, 1).map((c) => `${q(c.name)} ASC`);
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new QueryError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([v.version, query.filters ?? {}, query.sort ?? []]))
      .digest('hex')
      .slice(0, 12);
    const offset = query.cursor ? decodeCursor(query.cursor, fingerprint) : 0;
    const text = `SELECT * FROM (${this.keyedMerge(v, query, known, bind) ?? v.mergedSql}) p${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${sort.length ? ` ORDER BY ${sort.join(', ')}` : ''} LIMIT ${bind(limit + 1)} OFFSET ${bind(offset)}`;
    return { text, params: params.values, limit, offset, fingerprint };
  }

  // The typed key values of a read that names every key of a latest projection by equality and nothing else:
  // such a read answers at most one row, which readKey computes from two index lookups.
  private keyLookup(v: VersionRow, query: ProjectionQuery): unknown[] | undefined {
    const plan = this.engine.plans.get(v.name);
    if (!plan || plan.keyColumns.length === 0 || plan.keepHistory || !isVersionOf(v, plan) || query.cursor)
      return undefined;
    const filters = query.filters ?? {};
    if (Object.keys(filters).length !== plan.keyColumns.length) return undefined;
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) return undefined;
    const known = new Map(v.columns.map((c) => [c.name, c]));
    const values: unknown[] = [];
    for (const k of plan.keyColumns) {
      const f = filters[k];
      if (f?.length !== 1 || f[0]!.op !== 'eq') return undefined;
      values.push(typed(f[0]!.value, known.get(k)));
    }
    return values;
  }

  // The merged row of one key: its batch row and speed rows, each found through the key index, combined by the
  // same rule as the merged SQL (each column from the partial row with the greatest, or least, (time, seq)).
  private async readKey(v: VersionRow, values: unknown[]): Promise<Row[]> {
    const plan = this.engine.plans.get(v.name)!;
    const key = keyOf(values);
    const hit = this.cache?.rows(v.name, key);
    if (hit) return hit;
    if (this.cache?.wantsReplica(v.name, v.version)) this.replicate(plan, v, this.cache);
    const generation = this.cache?.generation(v.name) ?? 0;
    const partials = await this.lookups.partials(v, values);
    const rows = mergeLatest(plan.keyColumns, plan.picks, partials);
    this.cache?.keepRows(v.name, v.version, key, rows, generation);
    return rows;
  }

  // Loads every key of the version into memory behind the reads that go on meanwhile (see LatestReplica).
  private replicate(plan: ProjectionPlan, v: VersionRow, cache: ServingCache): void {
    cache.replicaLoading(v.name, v.version);
    const t0 = performance.now();
    const log = this.engine.logger;
    loadReplica(this.engine.store, plan, v).then(
      (replica) => {
        cache.replicaLoaded(v.name, v.version, replica);
        const ms = Math.round(performance.now() - t0);
        if (replica)
          log.info({ projection: v.name, keys: replica.size, ms }, 'keyed reads answer from memory');
        else
          log.info({ projection: v.name, ms }, 'too many rows to hold in memory; keyed reads use the index');
      },
      (err: Error) => {
        // A version dropped meanwhile, or the store closing; the next keyed read tries again.
        cache.replicaFailed(v.name, v.version);
        log.warn({ err, projection: v.name }, 'could not load the projection into memory');
      },
    );
  }

  // When every key of a latest projection is asked for by equality, each side of the merge is read through its
  // key index (filtered before the UNION, so the engines look the key up instead of scanning whole tables); the
  // outer WHERE still applies every filter, so the answer is the full merged query's.
  private keyedMerge(
    v: VersionRow,
    query: ProjectionQuery,
    known: ReadonlyMap<string, OutputColumn>,
    bind: (value: unknown) => string,
  ): string | undefined {
    const plan = this.engine.plans.get(v.name);
    // A kept history is a third side of the merge, not indexed: such a read takes the whole merge.
    if (!plan || plan.keyColumns.length === 0 || plan.keepHistory || !isVersionOf(v, plan)) return undefined;
    const conds: string[] = [];
    for (const key of plan.keyColumns) {
      const f = query.filters?.[key];
      if (f?.length !== 1 || f[0]!.op !== 'eq') return undefined;
      conds.push(
        `${this.engine.store.dialect.quoteIdent(key)} = ${bind(typed(f[0]!.value, known.get(key)))}`,
      );
    }
    const [batch, speed] = v.tables;
    if (!batch || !speed) return undefined;
    const where = conds.join(' AND ');
    return plan.mergedSql({
      batch: `(SELECT * FROM ${batch} WHERE ${where}) kb`,
      speed: `(SELECT * FROM ${speed} WHERE ${where}) ks`,
      pairs: [],
    });
  }

  async runQuery(name: string, params: Readonly<Record<string, unknown>>): Promise<ProjectionAnswer> {
    const def = this.queries[name];
    if (!def) throw new QueryError(`no query named ${name}`);
    const bound = new Params();
    let oldest: Freshness | null = null;
    const sql = await substitute(
      def.sql,
      async (proj) => {
        const v = await this.version(proj);
        const f = freshness(v, this.engine.plans.get(proj)?.incremental ?? false);
        if (!oldest || f.watermark < oldest.watermark) oldest = f;
        return `(${v.mergedSql}) AS ${this.engine.store.dialect.quoteIdent(proj)}`;
      },
      (param) => {
        const spec = def.params[param];
        if (!spec) throw new QueryError(`query ${name} uses :${param}, which is not declared in its params`);
        return bound.named(param, () =>
          typedParam(param, params[param] ?? spec.default, spec.type, spec.required),
        );
      },
    );
    for (const p of Object.keys(params)) {
      if (!(p in def.params))
        throw new QueryError(
          `query ${name} has no parameter ${p}; it takes ${Object.keys(def.params).join(', ') || 'none'}`,
        );
    }
    for (const [p, spec] of Object.entries(def.params)) {
      if (spec.required && params[p] === undefined && !bound.hasNamed(p))
        throw new QueryError(`parameter ${p} is required`);
    }
    const rows = await this.engine.store.query(sql, bound.values);
    const columns: OutputColumn[] = rows[0]
      ? Object.keys(rows[0]).map((c) => ({ name: c, type: 'unknown' }))
      : [];
    const lastSeq = await this.engine.store.lastSeq();
    return {
      columns,
      rows,
      freshness: oldest ?? {
        watermark: lastSeq,
        speedEvents: 0,
        batchAt: new Date().toISOString(),
        ageSeconds: 0,
      },
      nextCursor: null,
    };
  }
}

function freshness(v: VersionRow, incremental: boolean): Freshness {
  return {
    watermark: v.watermark,
    speedEvents: incremental ? v.speedSeq - v.watermark : 0,
    batchAt: v.builtAt ? v.builtAt.toISOString() : null,
    ageSeconds: v.builtAt ? Math.round((Date.now() - v.builtAt.getTime()) / 1000) : null,
  };
}

/** Replaces projection(NAME) and :param in query text, outside string literals and :: casts. */
async function substitute(
  sql: string,
  projection: (name: string) => Promise<string>,
  param: (name: string) => string,
): Promise<string> {
  let out = '';
  for (const piece of scanNamed(sql, PROJECTION_CALL)) {
    if (piece.kind === 'special') out += await projection(piece.match[1]!);
    else if (piece.kind === 'param') out += param(piece.name);
    else out += piece.text;
  }
  return out;
}

/** projection(name) or projection('name') in a query's SQL: the projection's current rows. */
const PROJECTION_CALL = /^projection\(\s*'?([A-Za-z_][A-Za-z0-9_]*)'?\s*\)/i;

export type { Store };
export { QueryError };
