import type { ColumnType, SqlDialect } from '../../store/store.js';
import { type Expr, ExprError, parseExpr } from './parse.js';

/** Compiled SQL and the type it yields. */
export interface Compiled {
  readonly sql: string;
  readonly type: ColumnType;
}

const FIELDS: Readonly<Record<string, ColumnType>> = {
  id: 'text',
  source: 'text',
  ce_source: 'text',
  type: 'text',
  subject: 'text',
  time: 'timestamp',
  received_at: 'timestamp',
  seq: 'bigint',
};

const TRUNC = ['minute', 'hour', 'day', 'week', 'month', 'year'];

/** Compiles expression text over the events table to SQL; every name is checked, every literal escaped. */
export function compileExpr(text: string, d: SqlDialect): Compiled {
  return compile(parseExpr(text), d);
}

function compile(e: Expr, d: SqlDialect): Compiled {
  switch (e.kind) {
    case 'literal':
      if (e.value === null) return { sql: 'NULL', type: 'text' };
      if (typeof e.value === 'boolean') return { sql: e.value ? 'TRUE' : 'FALSE', type: 'boolean' };
      if (typeof e.value === 'number') {
        return { sql: String(e.value), type: Number.isInteger(e.value) ? 'bigint' : 'double' };
      }
      return { sql: d.literal(e.value), type: 'text' };
    case 'field': {
      const type = FIELDS[e.name];
      if (!type) {
        throw new ExprError(
          `unknown field "${e.name}" (fields: ${Object.keys(FIELDS).join(', ')}, data.x)`,
          0,
        );
      }
      return { sql: d.quoteIdent(e.name), type };
    }
    case 'path':
      for (const part of e.path)
        if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new ExprError(`bad field name ${part}`, 0);
      return { sql: d.jsonText('data', e.path), type: 'text' };
    case 'unary': {
      const a = compile(e.arg, d);
      return e.op === 'not'
        ? { sql: `(NOT ${a.sql})`, type: 'boolean' }
        : { sql: `(-${a.sql})`, type: a.type };
    }
    case 'isnull':
      return { sql: `(${compile(e.arg, d).sql} IS ${e.negated ? 'NOT ' : ''}NULL)`, type: 'boolean' };
    case 'in': {
      const a = compile(e.arg, d);
      const list = e.list.map((x) => coerce(compile(x, d), a.type, d).sql).join(', ');
      return { sql: `(${a.sql} ${e.negated ? 'NOT ' : ''}IN (${list}))`, type: 'boolean' };
    }
    case 'binary': {
      const l = compile(e.left, d);
      const r = compile(e.right, d);
      if (e.op === 'AND' || e.op === 'OR') return { sql: `(${l.sql} ${e.op} ${r.sql})`, type: 'boolean' };
      if (e.op === '||') return { sql: `(${text(l, d)} || ${text(r, d)})`, type: 'text' };
      if (['+', '-', '*', '/', '%'].includes(e.op)) {
        const type: ColumnType =
          l.type === 'bigint' && r.type === 'bigint' && e.op !== '/' ? 'bigint' : 'double';
        return { sql: `(${num(l, d)} ${e.op} ${num(r, d)})`, type };
      }
      // Comparisons: a JSON text field compared with a number or a time is read as that type.
      const [a, b] =
        l.type === 'text' && r.type !== 'text' ? [coerce(l, r.type, d), r] : [l, coerce(r, l.type, d)];
      return { sql: `(${a.sql} ${e.op} ${b.sql})`, type: 'boolean' };
    }
    case 'call':
      return call(
        e.fn,
        e.args.map((a) => compile(a, d)),
        d,
      );
  }
}

function call(fn: string, args: Compiled[], d: SqlDialect): Compiled {
  const arity = (n: number) => {
    if (args.length !== n)
      throw new ExprError(`${fn}() takes ${n} argument${n === 1 ? '' : 's'}, not ${args.length}`, 0);
  };
  switch (fn) {
    case 'if':
      arity(3);
      return {
        sql: `(CASE WHEN ${args[0]!.sql} THEN ${args[1]!.sql} ELSE ${coerce(args[2]!, args[1]!.type, d).sql} END)`,
        type: args[1]!.type,
      };
    case 'coalesce':
      if (args.length < 1) throw new ExprError('coalesce() needs arguments', 0);
      return {
        sql: `coalesce(${args.map((a) => coerce(a, args[0]!.type, d).sql).join(', ')})`,
        type: args[0]!.type,
      };
    case 'upper':
    case 'lower':
      arity(1);
      return { sql: `${fn}(${text(args[0]!, d)})`, type: 'text' };
    case 'length':
      arity(1);
      return { sql: `length(${text(args[0]!, d)})`, type: 'bigint' };
    case 'replace':
      arity(3);
      return { sql: `replace(${args.map((a) => text(a, d)).join(', ')})`, type: 'text' };
    case 'concat':
      return { sql: `concat(${args.map((a) => text(a, d)).join(', ')})`, type: 'text' };
    case 'number':
      arity(1);
      return { sql: num(args[0]!, d), type: 'double' };
    case 'int':
      arity(1);
      return {
        sql:
          args[0]!.type === 'text'
            ? d.tryCast(args[0]!.sql, 'bigint')
            : `CAST(${args[0]!.sql} AS ${d.types.bigint})`,
        type: 'bigint',
      };
    case 'text':
      arity(1);
      return { sql: text(args[0]!, d), type: 'text' };
    case 'timestamp':
      arity(1);
      return coerce(args[0]!, 'timestamp', d);
    case 'epoch':
      arity(1);
      return { sql: d.epochSeconds(coerce(args[0]!, 'timestamp', d).sql), type: 'double' };
    default:
      if (TRUNC.includes(fn)) {
        arity(1);
        return { sql: `date_trunc('${fn}', ${coerce(args[0]!, 'timestamp', d).sql})`, type: 'timestamp' };
      }
      throw new ExprError(
        `unknown function ${fn}() (functions: if, coalesce, upper, lower, length, replace, concat, number, int, text, timestamp, epoch, ${TRUNC.join(', ')})`,
        0,
      );
  }
}

function coerce(c: Compiled, to: ColumnType, d: SqlDialect): Compiled {
  if (c.type === to || c.sql === 'NULL') return { sql: c.sql, type: to };
  if (to === 'text') return { sql: text(c, d), type: 'text' };
  if (c.type === 'text') return { sql: d.tryCast(c.sql, to), type: to };
  if (to === 'double' && c.type === 'bigint') return { sql: `CAST(${c.sql} AS ${d.types[to]})`, type: to };
  return c;
}

function num(c: Compiled, d: SqlDialect): string {
  if (c.type === 'bigint' || c.type === 'double') return c.sql;
  return c.type === 'text' ? d.tryCast(c.sql, 'double') : `CAST(${c.sql} AS ${d.types.double})`;
}

function text(c: Compiled, d: SqlDialect): string {
  return c.type === 'text' ? c.sql : `CAST(${c.sql} AS ${d.types.text})`;
}
