import type { ColumnType, SqlDialect } from '../store/store.js';
import { type Compiled, compileExpr } from './expr/compile.js';
import { ExprError, parseExpr } from './expr/parse.js';

/** The measures that merge exactly across batch and speed. */
export type MeasureKind = 'count' | 'sum' | 'min' | 'max' | 'count_distinct';

/** A parsed measure: its kind and the compiled argument (none for count()). */
export interface Measure {
  readonly kind: MeasureKind;
  readonly arg: Compiled | null;
  readonly type: ColumnType;
}

/** Parses `count()`, `count(x)`, `sum(x)`, `min(x)`, `max(x)` or `count_distinct(x)`. */
export function parseMeasure(text: string, d: SqlDialect): Measure {
  const e = parseExpr(text);
  const kinds = ['count', 'sum', 'min', 'max', 'count_distinct'];
  if (e.kind !== 'call' || !kinds.includes(e.fn)) {
    throw new ExprError(`a measure is one of ${kinds.map((k) => `${k}(…)`).join(', ')}`, 0);
  }
  const kind = e.fn as MeasureKind;
  if (kind === 'count' && e.args.length === 0) return { kind, arg: null, type: 'bigint' };
  if (e.args.length !== 1) throw new ExprError(`${kind}() takes one argument`, 0);
  // The argument is re-compiled from its own text span: parse once more from the inner text.
  const inner = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  let arg = compileExpr(inner, d);
  // A bare data.x is JSON text; min and max of it compare as numbers (text(data.x) or timestamp(data.x) say otherwise).
  if ((kind === 'min' || kind === 'max') && e.args[0]!.kind === 'path') {
    arg = { sql: d.tryCast(arg.sql, 'double'), type: 'double' };
  }
  const type: ColumnType =
    kind === 'count' || kind === 'count_distinct' ? 'bigint' : kind === 'sum' ? 'double' : arg.type;
  return { kind, arg, type };
}
