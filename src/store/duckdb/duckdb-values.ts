import { DuckDBListValue, type DuckDBValue, listValue, timestampTZValue } from '@duckdb/node-api';
import type { Row, SqlValue } from '../store.js';

/** Converts a bound parameter from JS to DuckDB: Dates become TIMESTAMPTZ, arrays become lists. */
export function toDuckValue(v: unknown): DuckDBValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return timestampTZValue(BigInt(v.getTime()) * 1000n);
  if (Array.isArray(v)) return listValue(v.map(toDuckValue));
  if (typeof v === 'object') return JSON.stringify(v);
  return v as DuckDBValue;
}

/** Converts a row from DuckDB's JS form to the port's: bigints to numbers, nested values recursively. */
export function fromDuckRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const k in row) out[k] = fromDuck(row[k]);
  return out;
}

function fromDuck(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(fromDuck);
  if (v instanceof DuckDBListValue) return v.items.map(fromDuck);
  if (typeof v === 'object') {
    const o: Record<string, SqlValue> = {};
    for (const [k, x] of Object.entries(v as object)) o[k] = fromDuck(x);
    return o;
  }
  return v as SqlValue;
}
