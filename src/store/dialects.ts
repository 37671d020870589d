import { duckdbDialect } from './duckdb/duckdb-dialect.js';
import { postgresDialect } from './postgres/postgres-dialect.js';
import type { SqlDialect } from './store.js';

/** The SQL dialect of a configured engine, known before its store is open (no driver is loaded). */
export function dialectOf(engine: SqlDialect['name']): SqlDialect {
  return engine === 'postgres' ? postgresDialect : duckdbDialect;
}
