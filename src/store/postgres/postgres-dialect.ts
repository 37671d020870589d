import type { ColumnType, SqlDialect } from '../store.js';

const TYPES: Readonly<Record<ColumnType, string>> = {
  text: 'TEXT',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  json: 'JSONB',
};

/**
 * The types `tryCast` converts text to, each with a fast path (a pattern the cast surely reads, tried without
 * an exception block: entering one costs a subtransaction per row) and a guarded cast for everything else.
 */
export const TRY_CAST_TYPES: Partial<
  Record<
    ColumnType,
    { sql: string; fast: string | null; volatility: string; guarded?: string; shape?: string }
  >
> = {
  double: {
    sql: 'DOUBLE PRECISION',
    fast: String.raw`^\s*-?\d{1,15}(\.\d{0,15})?\s*$`,
    volatility: 'IMMUTABLE',
  },
  // '7.5' and '1e3' are read as DuckDB's TRY_CAST reads them: rounded, as a number.
  bigint: {
    sql: 'BIGINT',
    fast: String.raw`^\s*-?\d{1,18}\s*$`,
    volatility: 'IMMUTABLE',
    guarded: 'round(CAST(v AS NUMERIC))',
  },
  integer: {
    sql: 'INTEGER',
    fast: String.raw`^\s*-?\d{1,9}\s*$`,
    volatility: 'IMMUTABLE',
    guarded: 'round(CAST(v AS NUMERIC))',
  },
  boolean: { sql: 'BOOLEAN', fast: null, volatility: 'IMMUTABLE' },
  // Reading a time without a zone depends on the session's TimeZone: STABLE, not IMMUTABLE.
  // Only dates written as dates: PostgreSQL also reads 'yesterday', 'now' and 'epoch', which DuckDB does not.
  timestamp: {
    sql: 'TIMESTAMPTZ',
    fast: null,
    volatility: 'STABLE',
    shape: String.raw`^\s*\d{4}-\d{2}-\d{2}`,
  },
  date: { sql: 'DATE', fast: null, volatility: 'STABLE', shape: String.raw`^\s*\d{4}-\d{2}-\d{2}` },
};

/** PostgreSQL's SQL: JSONB payloads, TIMESTAMPTZ, array_agg for ordered picks. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  semiJoinByIndex: true,
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  literal: (text) => quoteLiteral(text),
  jsonText: (column, path) => `jsonb_extract_path_text(${column}, ${path.map(quoteLiteral).join(', ')})`,
  jsonTextList: (column, keys) =>
    `ARRAY[${keys.map((k) => `jsonb_extract_path_text(${column}, ${quoteLiteral(k)})`).join(', ')}]`,
  jsonTextElements: (column, path) =>
    `jsonb_array_elements_text(jsonb_extract_path(${column}, ${path.map(quoteLiteral).join(', ')}))`,
  types: TYPES,
  epochSeconds: (expr) => `extract(epoch FROM ${expr})::float8`,
  // to_json escapes as JSON.stringify does, control characters included (\u001b); PostgreSQL text holds no NUL.
  jsonString: (expr) => `to_json(${expr}::text)::text`,
  stringAgg: (expr, separator, orderBy) => `string_agg(${expr}, ${separator} ORDER BY ${orderBy})`,
  arrayAgg: (expr, orderBy) => `array_agg(${expr} ORDER BY ${orderBy})`,
  isoMillis: (expr) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  pick: (value, order, dir, cond) =>
    `(array_agg(${value} ORDER BY ${order.map((o) => `${o} ${dir === 'latest' ? 'DESC' : 'ASC'}`).join(', ')}) FILTER (WHERE ${cond}))[1]`,
  secondsBetween: (from, to) => `extract(epoch FROM (${to} - ${from}))::float8`,
  // PostgreSQL 15 has no TRY_CAST (nor pg_input_is_valid, new in 16): functions from the events migrations.
  tryCast: (text, to) => (TRY_CAST_TYPES[to] ? `pmx_try_${to}(${text})` : `CAST(${text} AS ${TYPES[to]})`),
};

// Quotes doubled: standard_conforming_strings is on (PostgreSQL's default since 9.1), so backslashes are text.
function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
