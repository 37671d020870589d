import { createHash } from 'node:crypto';
import type { ColumnType, SqlDialect } from '../store/store.js';
import type { ProjectionConfig } from './config.js';
import { compileExpr } from './expr/compile.js';
import { parseMeasure } from './measure.js';

/** An output column of a projection. */
export interface OutputColumn {
  readonly name: string;
  readonly type: ColumnType | 'unknown';
}

/** The quoted table names one version of a projection lives in. */
export interface VersionTables {
  readonly batch: string;
  readonly speed: string;
  readonly pairs: readonly { readonly batch: string; readonly speed: string }[];
  /**
   * A keepHistory projection's kept rows of expired events (one table, and one per count_distinct), read up
   * to the retention run `upTo` that the version was built after: a later run's rows are already in its batch.
   */
  readonly history?: { readonly table: string; readonly pairs: readonly string[]; readonly upTo: number };
}

/**
 * A projection compiled to SQL. Batch and speed tables hold the same partial rows (the batch over
 * seq ≤ watermark, the speed layer over each range folded since); the merged read combines them with
 * operations that are associative (sum of counts and sums, min of mins, max of maxes, the latest by
 * (time, seq)), so batch ∪ speed equals a full recompute whatever the cut.
 */
export interface ProjectionPlan {
  readonly name: string;
  readonly shape: ProjectionConfig['shape'];
  /** Changes whenever the definition does: a new hash is a new version, rebuilt from history. */
  readonly hash: string;
  readonly columns: readonly OutputColumn[];
  /** False for sql projections: batch only, they report their age. */
  readonly incremental: boolean;
  /** SQL of the partial rows for events with lo < seq ≤ hi (and `also`, a condition over events, when given). */
  partialSql(lo: number, hi: number, also?: string): string;
  /** SQL of each count_distinct measure's distinct (dimensions, value) pairs over the same range. */
  readonly pairs: readonly ((lo: number, hi: number, also?: string) => string)[];
  /** The partial rows' columns, and the pairs' (quoted), in order: what a history table holds after `_run`. */
  readonly partialColumns: readonly string[];
  readonly pairColumns: readonly string[];
  /** Keeps the rolled-up rows of events that retention removes (docs/retention.md). */
  readonly keepHistory: boolean;
  /** The output columns a subject may appear in as a whole value (keys, dimensions): erasure deletes those rows. */
  readonly subjectColumns: readonly string[];
  /** SQL of the merged answer over one version's tables. */
  mergedSql(t: VersionTables): string;
  /**
   * The key columns of a latest projection (none for the other shapes): its batch and speed tables are indexed
   * on them, so a read that names every key merges two index lookups instead of scanning both tables.
   */
  readonly keyColumns: readonly string[];
  /**
   * How a latest projection picks each non-key column (none for the other shapes): the value of the greatest
   * (latest) or least (first) (time, seq) among the partial rows, held beside it as `_t_NAME` and `_s_NAME`.
   */
  readonly picks: readonly { readonly name: string; readonly dir: 'latest' | 'first' }[];
  /**
   * A latest projection's change feed (undefined for the other shapes): SQL of the keys that the events with
   * lo < seq ≤ hi changed, each with the highest such seq as `_seq`, in that order, at most `limit`.
   */
  readonly changedKeysSql?: (lo: number, hi: number, limit: number) => string;
}

/** Compiles a projection definition into its plan. */
export function planProjection(name: string, def: ProjectionConfig, d: SqlDialect): ProjectionPlan {
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...def, description: undefined, schedule: undefined }))
    .digest('hex')
    .slice(0, 10);
  if (def.shape === 'sql') {
    return {
      name,
      shape: def.shape,
      hash,
      columns: [],
      incremental: false,
      partialSql: (lo, hi) => sealedSql(def.sql, lo, hi),
      pairs: [],
      partialColumns: [],
      pairColumns: [],
      keepHistory: false,
      subjectColumns: [],
      mergedSql: (t) => `SELECT * FROM ${t.batch}`,
      keyColumns: [],
      picks: [],
    };
  }
  const q = (s: string) => d.quoteIdent(s);
  const where = (lo: number, hi: number, also?: string) => {
    const parts = [`seq > ${int(lo)}`, `seq <= ${int(hi)}`, ...(also ? [also] : [])];
    if (def.filter?.types?.length) parts.push(`type IN (${def.filter.types.map(d.literal).join(', ')})`);
    if (def.filter?.sources?.length)
      parts.push(`source IN (${def.filter.sources.map(d.literal).join(', ')})`);
    if (def.filter?.ceSources?.length)
      parts.push(`ce_source IN (${def.filter.ceSources.map(d.literal).join(', ')})`);
    if (def.filter?.where) parts.push(compileExpr(def.filter.where, d).sql);
    return parts.join(' AND ');
  };
  const groupBy = (n: number) =>
    n ? ` GROUP BY ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}` : '';

  if (def.shape === 'aggregate') {
    const dims = Object.entries(def.dimensions).map(([n, text]) => ({ name: n, ...compileExpr(text, d) }));
    const measures = Object.entries(def.measures).map(([n, text]) => ({ name: n, ...parseMeasure(text, d) }));
    const merged = measures.filter((m) => m.kind !== 'count_distinct');
    const distinct = measures.filter((m) => m.kind === 'count_distinct');
    const partialMeasure = (m: (typeof measures)[number]) => {
      const a = m.arg?.sql ?? '*';
      if (m.kind === 'count') return `count(${a})`;
      if (m.kind === 'sum')
        return `sum(${m.arg?.type === 'text' ? d.tryCast(a, 'double') : `CAST(${a} AS ${d.types.double})`})`;
      return `${m.kind}(${a})`;
    };
    const mergeMeasure = (m: (typeof measures)[number]) =>
      m.kind === 'count'
        ? `CAST(coalesce(sum(${q(m.name)}), 0) AS ${d.types.bigint})`
        : m.kind === 'sum'
          ? `sum(${q(m.name)})`
          : `${m.kind}(${q(m.name)})`;
    const dimList = dims.map((x) => q(x.name));
    const partialColumns = [...dimList, ...(merged.length ? merged.map((m) => q(m.name)) : ['"_n"'])];
    const pairColumns = [...dimList, '"_v"'];
    return {
      partialColumns,
      pairColumns,
      keepHistory: def.keepHistory === true,
      subjectColumns: dims.map((x) => x.name),
      name,
      shape: def.shape,
      hash,
      incremental: true,
      keyColumns: [],
      picks: [],
      columns: [
        ...dims.map((x) => ({ name: x.name, type: x.type })),
        ...measures.map((m) => ({ name: m.name, type: m.type })),
      ],
      partialSql: (lo, hi, also) =>
        `SELECT ${[...dims.map((x) => `${x.sql} AS ${q(x.name)}`), ...merged.map((m) => `${partialMeasure(m)} AS ${q(m.name)}`), ...(merged.length ? [] : ['count(*) AS "_n"'])].join(', ')} FROM events WHERE ${where(lo, hi, also)}${groupBy(dims.length)}`,
      pairs: distinct.map(
        (m) => (lo, hi, also) =>
          `SELECT DISTINCT ${[...dims.map((x) => `${x.sql} AS ${q(x.name)}`), `${m.arg!.sql} AS "_v"`].join(', ')} FROM events WHERE ${where(lo, hi, also)} AND ${m.arg!.sql} IS NOT NULL`,
      ),
      mergedSql: (t) => {
        const base = `SELECT ${[...dimList, ...merged.map((m) => `${mergeMeasure(m)} AS ${q(m.name)}`)].join(', ')} FROM (SELECT * FROM ${t.batch} UNION ALL SELECT * FROM ${t.speed}${kept(t.history?.table, partialColumns, t.history?.upTo)}) u${dims.length ? ` GROUP BY ${dimList.join(', ')}` : ''}`;
        const joins = distinct.map((m, i) => {
          const pairs = t.pairs[i]!;
          const sub = `SELECT ${[...dimList, `count(DISTINCT "_v") AS "_c"`].join(', ')} FROM (SELECT * FROM ${pairs.batch} UNION ALL SELECT * FROM ${pairs.speed}${kept(t.history?.pairs[i], pairColumns, t.history?.upTo)}) x${dims.length ? ` GROUP BY ${dimList.join(', ')}` : ''}`;
          const on = dims.length
            ? dimList.map((c) => `a.${c} IS NOT DISTINCT FROM p${i}.${c}`).join(' AND ')
            : 'TRUE';
          return { m, sql: ` LEFT JOIN (${sub}) p${i} ON ${on}` };
        });
        const select = measures.map((m) =>
          m.kind === 'count_distinct'
            ? `CAST(coalesce(p${distinct.indexOf(m)}."_c", 0) AS ${d.types.bigint}) AS ${q(m.name)}`
            : `a.${q(m.name)}`,
        );
        return `SELECT ${[...dimList.map((c) => `a.${c}`), ...select].join(', ')} FROM (${base}) a${joins.map((j) => j.sql).join('')}`;
      },
    };
  }

  const keys = Object.entries(def.key).map(([n, text]) => ({ name: n, ...compileExpr(text, d) }));
  const cols = Object.entries(def.columns).map(([n, spec]) => {
    const s = typeof spec === 'string' ? { expr: spec, from: undefined, pick: 'latest' as const } : spec;
    const c = compileExpr(s.expr, d);
    const cond = [
      `${c.sql} IS NOT NULL`,
      ...(s.from?.length ? [`type IN (${s.from.map(d.literal).join(', ')})`] : []),
    ].join(' AND ');
    return { name: n, sql: c.sql, type: c.type, cond, dir: s.pick };
  });
  const keyList = keys.map((k) => q(k.name));
  const pickOf = (value: string, order: readonly string[], dir: 'latest' | 'first', cond: string) =>
    d.pick(value, order, dir, cond);
  const partialColumns = [
    ...keyList,
    ...cols.flatMap((c) => [q(c.name), q(`_t_${c.name}`), q(`_s_${c.name}`)]),
  ];
  return {
    partialColumns,
    pairColumns: [],
    keepHistory: def.keepHistory === true,
    subjectColumns: keys.map((k) => k.name),
    name,
    shape: def.shape,
    hash,
    incremental: true,
    keyColumns: keys.map((k) => k.name),
    picks: cols.map((c) => ({ name: c.name, dir: c.dir })),
    columns: [
      ...keys.map((k) => ({ name: k.name, type: k.type })),
      ...cols.map((c) => ({ name: c.name, type: c.type })),
    ],
    partialSql: (lo, hi, also) => {
      const select = [
        ...keys.map((k) => `${k.sql} AS ${q(k.name)}`),
        ...cols.flatMap((c) => {
          const order = ['time', 'seq'];
          return [
            `${pickOf(c.sql, order, c.dir, c.cond)} AS ${q(c.name)}`,
            `${pickOf('time', order, c.dir, c.cond)} AS ${q(`_t_${c.name}`)}`,
            `${pickOf('seq', order, c.dir, c.cond)} AS ${q(`_s_${c.name}`)}`,
          ];
        }),
      ];
      const notNull = keys.map((k) => `${k.sql} IS NOT NULL`).join(' AND ');
      return `SELECT ${select.join(', ')} FROM events WHERE ${where(lo, hi, also)} AND ${notNull}${groupBy(keys.length)}`;
    },
    pairs: [],
    changedKeysSql: (lo, hi, limit) => {
      const notNull = keys.map((k) => `${k.sql} IS NOT NULL`).join(' AND ');
      const select = keys.map((k) => `${k.sql} AS ${q(k.name)}`).join(', ');
      return `SELECT ${select}, max(seq) AS "_seq" FROM events WHERE ${where(lo, hi)} AND ${notNull}${groupBy(keys.length)} ORDER BY "_seq" LIMIT ${int(limit)}`;
    },
    mergedSql: (t) => {
      const select = [
        ...keyList,
        ...cols.map((c) => {
          const order = [q(`_t_${c.name}`), q(`_s_${c.name}`)];
          return `${pickOf(q(c.name), order, c.dir, `${q(`_t_${c.name}`)} IS NOT NULL`)} AS ${q(c.name)}`;
        }),
      ];
      return `SELECT ${select.join(', ')} FROM (SELECT * FROM ${t.batch} UNION ALL SELECT * FROM ${t.speed}${kept(t.history?.table, partialColumns, t.history?.upTo)}) u GROUP BY ${keyList.join(', ')}`;
    },
  };
}

// The kept history's rows as one more side of the merge, up to the version's retention run.
function kept(table: string | undefined, columns: readonly string[], upTo: number | undefined): string {
  return table
    ? ` UNION ALL SELECT ${columns.join(', ')} FROM ${table} WHERE "_run" <= ${int(upTo ?? 0)}`
    : '';
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not a seq: ${n}`);
  return String(n);
}

/**
 * A sql projection's query over the events with lo < seq <= hi only, so a version holds what its watermark
 * says: the events table is shadowed by a CTE of the same name (inside its own definition the name is still
 * the table, on both engines). Unsealed, a build read every event committed by the time its statement ran,
 * past the watermark it recorded, and what a version held depended on how a build raced ingest. A query that
 * is itself WITH RECURSIVE is left as it is: there the CTE would refer to itself.
 */
function sealedSql(sql: string, lo: number, hi: number): string {
  const events = `events AS (SELECT * FROM events WHERE seq > ${int(lo)} AND seq <= ${int(hi)})`;
  if (/^\s*with\s+recursive\b/i.test(sql)) return sql;
  const withClause = /^\s*with\s+/i.exec(sql);
  return withClause ? `WITH ${events}, ${sql.slice(withClause[0].length)}` : `WITH ${events} ${sql}`;
}
