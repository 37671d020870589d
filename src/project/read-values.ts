import type { OutputColumn } from './plan.js';
import type { ColumnFilter } from './projection-reader.js';
import { QueryError } from './query-error.js';

// Values of a projection read, typed from request text: filters by the column's type, a named query's
// parameters by their declared type; a value that is not one is a QueryError (HTTP 400).

export function filterSql(
  col: string,
  f: ColumnFilter,
  meta: OutputColumn | undefined,
  bind: (v: unknown) => string,
): string {
  const name = col;
  if (f.op === 'in') {
    if (f.values.length === 0) throw new QueryError(`an IN filter on ${name} needs at least one value`);
    return `${col} IN (${f.values.map((v) => bind(typed(v, meta))).join(', ')})`;
  }
  const op = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }[f.op];
  return `${col} ${op} ${bind(typed(f.value, meta))}`;
}

// A filter value in the column's type: a number for numbers, a Date for timestamps; a wrong one is a 400.
export function typed(v: unknown, meta: OutputColumn | undefined): unknown {
  if (!meta || meta.type === 'unknown' || meta.type === 'text' || meta.type === 'json')
    return v === null ? null : String(v);
  const text = String(v);
  if (meta.type === 'bigint' || meta.type === 'integer' || meta.type === 'double') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n))
      throw new QueryError(`${meta.name} is a number; ${JSON.stringify(text)} is not`);
    return n;
  }
  if (meta.type === 'timestamp' || meta.type === 'date') {
    const t = Date.parse(text);
    if (Number.isNaN(t))
      throw new QueryError(`${meta.name} is a timestamp; ${JSON.stringify(text)} is not (use ISO 8601)`);
    return new Date(t);
  }
  if (meta.type === 'boolean') {
    if (text !== 'true' && text !== 'false')
      throw new QueryError(`${meta.name} is true or false, not ${JSON.stringify(text)}`);
    return text === 'true';
  }
  return text;
}

export function typedParam(name: string, v: unknown, type: string, required: boolean): unknown {
  if (v === undefined || v === null || v === '') {
    if (required) throw new QueryError(`parameter ${name} is required`);
    return null;
  }
  const text = String(v);
  switch (type) {
    case 'integer':
      if (!/^-?\d+$/.test(text))
        throw new QueryError(`parameter ${name} must be a whole number, not ${JSON.stringify(text)}`);
      return Number(text);
    case 'number':
      if (!Number.isFinite(Number(text)) || text.trim() === '')
        throw new QueryError(`parameter ${name} must be a number, not ${JSON.stringify(text)}`);
      return Number(text);
    case 'timestamp': {
      const t = Date.parse(text);
      if (Number.isNaN(t))
        throw new QueryError(`parameter ${name} must be an ISO timestamp, not ${JSON.stringify(text)}`);
      return new Date(t);
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false')
        throw new QueryError(`parameter ${name} must be true or false`);
      return text === 'true';
    default:
      return text;
  }
}
