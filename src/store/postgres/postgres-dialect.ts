import type { SqlDialect } from '../store.js';

/** PostgreSQL's SQL: JSONB payloads, TIMESTAMPTZ, array_agg for ordered picks. */
export const postgresDialect: SqlDialect = {
  name: 'postgres',
  quoteIdent: (name) => `"${name.replaceAll('"', '""')}"`,
  jsonText: (column, path) =>
    `jsonb_extract_path_text(${column}, ${path.map((k) => `'${k.replaceAll("'", "''")}'`).join(', ')})`,
  jsonTextList: (column, keys) =>
    `ARRAY[${keys.map((k) => `jsonb_extract_path_text(${column}, '${k.replaceAll("'", "''")}')`).join(', ')}]`,
  jsonTextElements: (column, path) =>
    `jsonb_array_elements_text(jsonb_extract_path(${column}, ${path.map((k) => `'${k.replaceAll("'", "''")}'`).join(', ')}))`,
  types: {
    text: 'TEXT',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    double: 'DOUBLE PRECISION',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMPTZ',
    date: 'DATE',
    json: 'JSONB',
  },
  epochSeconds: (expr) => `extract(epoch FROM ${expr})::float8`,
  pick: (value, order, dir, cond) =>
    `(array_agg(${value} ORDER BY ${order.map((o) => `${o} ${dir === 'latest' ? 'DESC' : 'ASC'}`).join(', ')}) FILTER (WHERE ${cond}))[1]`,
  secondsBetween: (from, to) => `extract(epoch FROM (${to} - ${from}))::float8`,
};
