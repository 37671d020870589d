import type { ColumnType, SqlDialect } from '../store.js';

const duckdbTypes: Readonly<Record<ColumnType, string>> = {
  text: 'VARCHAR',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  json: 'JSON',
};

/** DuckDB's SQL: JSON through the bundled json extension, TIMESTAMPTZ in microseconds. */
export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  semiJoinByIndex: false,
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  literal: (text) => quoteLiteral(text),
  jsonText: (column, path) => `json_extract_string(${column}, ${quoteLiteral(jsonPath(path))})`,
  jsonTextList: (column, keys) =>
    `json_extract_string(${column}, [${keys.map((k) => quoteLiteral(jsonPath([k]))).join(', ')}])`,
  jsonTextElements: (column, path) =>
    `unnest(json_extract_string(${column}, ${quoteLiteral(`${jsonPath(path)}[*]`)}))`,
  types: duckdbTypes,
  epochSeconds: (expr) => `epoch(${expr})`,
  // arg_max over a struct key keeps one candidate per group (array_agg … ORDER BY kept them all: 19 GB at 10M rows).
  pick: (value, order, dir, cond) =>
    `${dir === 'latest' ? 'arg_max' : 'arg_min'}(${value}, struct_pack(${order.map((o, i) => `k${i} := ${o}`).join(', ')})) FILTER (WHERE ${cond})`,
  secondsBetween: (from, to) => `((epoch_ms(${to}) - epoch_ms(${from})) / 1000.0)`,
  tryCast: (text, to) => `TRY_CAST(${text} AS ${duckdbTypes[to]})`,
  // to_json escapes as JSON.stringify does but for control characters (\u000B where JavaScript writes \u000b).
  jsonString: (expr) =>
    `CASE WHEN regexp_matches(${expr}, '[\\x{00}-\\x{1f}]') THEN NULL ELSE to_json(${expr})::VARCHAR END`,
  stringAgg: (expr, separator, orderBy) => `string_agg(${expr}, ${separator} ORDER BY ${orderBy})`,
  arrayAgg: (expr, orderBy) => `list(${expr} ORDER BY ${orderBy})`,
  isoMillis: (expr) => `strftime(epoch_ms(epoch_ms(${expr})), '%Y-%m-%dT%H:%M:%S.%gZ')`,
  // url_encode escapes ! * ' ( ), which encodeURIComponent leaves; a % it wrote is always followed by hex of
  // another character, so putting those five back cannot touch anything else.
  uriComponent: (expr) =>
    ['!', '*', "'", '(', ')'].reduce(
      (sql, c) => `replace(${sql}, '%${c.charCodeAt(0).toString(16).toUpperCase()}', ${quoteLiteral(c)})`,
      `url_encode(${expr})`,
    ),
};

// A JSON path literal built from validated identifiers: each key is quoted, so no key can escape it.
function jsonPath(path: readonly string[]): string {
  return '$' + path.map((k) => `."${k.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join('');
}

// Quotes doubled (standard SQL, as DuckDB reads every string literal).
function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
