/** A parsed expression: the small, safe language projections are written in. */
export type Expr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'path'; readonly path: readonly string[] }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly kind: 'unary'; readonly op: 'not' | '-'; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'isnull'; readonly negated: boolean; readonly arg: Expr }
  | { readonly kind: 'in'; readonly negated: boolean; readonly arg: Expr; readonly list: readonly Expr[] };

/** Thrown for text that is not an expression; `at` is the character offset. */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'ExprError';
  }
}

type Token = { t: 'num' | 'str' | 'id' | 'op' | 'end'; v: string; at: number };

const OPS = ['<=', '>=', '<>', '!=', '||', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.'];

function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))!;
      out.push({ t: 'num', v: m[0], at });
      i += m[0].length;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ExprError("a string is not closed (missing ')", at);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += text[i++];
      }
      out.push({ t: 'str', v: s, at });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      out.push({ t: 'id', v: m[0], at });
      i += m[0].length;
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (!op) throw new ExprError(`unexpected character ${JSON.stringify(c)}`, at);
      out.push({ t: 'op', v: op, at });
      i += op.length;
    }
  }
  out.push({ t: 'end', v: '', at: text.length });
  return out;
}

/** Parses expression text; throws ExprError with the offset of the problem. */
export function parseExpr(text: string): Expr {
  const toks = lex(text);
  let p = 0;
  const peek = () => toks[p]!;
  const isKw = (kw: string) => peek().t === 'id' && peek().v.toLowerCase() === kw;
  const isOp = (op: string) => peek().t === 'op' && peek().v === op;
  const expectOp = (op: string) => {
    if (!isOp(op)) throw new ExprError(`expected ${op} ${describe(peek())}`, peek().at);
    p++;
  };

  const or = (): Expr => {
    let e = and();
    while (isKw('or')) {
      p++;
      e = { kind: 'binary', op: 'OR', left: e, right: and() };
    }
    return e;
  };
  const and = (): Expr => {
    let e = not();
    while (isKw('and')) {
      p++;
      e = { kind: 'binary', op: 'AND', left: e, right: not() };
    }
    return e;
  };
  const not = (): Expr => {
    if (isKw('not')) {
      p++;
      return { kind: 'unary', op: 'not', arg: not() };
    }
    return cmp();
  };
  const cmp = (): Expr => {
    const left = add();
    const t = peek();
    if (t.t === 'op' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.v)) {
      p++;
      return { kind: 'binary', op: t.v === '!=' ? '<>' : t.v, left, right: add() };
    }
    if (isKw('is')) {
      p++;
      let negated = false;
      if (isKw('not')) {
        p++;
        negated = true;
      }
      if (!isKw('null')) throw new ExprError(`expected null after is ${describe(peek())}`, peek().at);
      p++;
      return { kind: 'isnull', negated, arg: left };
    }
    let negated = false;
    if (isKw('not') && toks[p + 1]?.t === 'id' && toks[p + 1]!.v.toLowerCase() === 'in') {
      p++;
      negated = true;
    }
    if (isKw('in')) {
      p++;
      expectOp('(');
      const list = [or()];
      while (isOp(',')) {
        p++;
        list.push(or());
      }
      expectOp(')');
      return { kind: 'in', negated, arg: left, list };
    }
    return left;
  };
  const add = (): Expr => {
    let e = mul();
    while (isOp('+') || isOp('-') || isOp('||')) {
      const op = toks[p++]!.v;
      e = { kind: 'binary', op, left: e, right: mul() };
    }
    return e;
  };
  const mul = (): Expr => {
    let e = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = toks[p++]!.v;
      e = { kind: 'binary', op, left: e, right: unary() };
    }
    return e;
  };
  const unary = (): Expr => {
    if (isOp('-')) {
      p++;
      return { kind: 'unary', op: '-', arg: unary() };
    }
    return primary();
  };
  const primary = (): Expr => {
    const t = peek();
    if (t.t === 'num') {
      p++;
      return { kind: 'literal', value: Number(t.v) };
    }
    if (t.t === 'str') {
      p++;
      return { kind: 'literal', value: t.v };
    }
    if (isOp('(')) {
      p++;
      const e = or();
      expectOp(')');
      return e;
    }
    if (t.t === 'id') {
      p++;
      const lower = t.v.toLowerCase();
      if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
      if (lower === 'null') return { kind: 'literal', value: null };
      if (isOp('(')) {
        p++;
        const args: Expr[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            p++;
            args.push(or());
          }
        }
        expectOp(')');
        return { kind: 'call', fn: lower, args };
      }
      if (isOp('.')) {
        const path = [t.v];
        while (isOp('.')) {
          p++;
          const part = peek();
          if (part.t !== 'id' && part.t !== 'num')
            throw new ExprError(`expected a field name after . ${describe(part)}`, part.at);
          path.push(part.v);
          p++;
        }
        if (path[0] !== 'data') throw new ExprError(`only data has fields (data.x.y), not ${path[0]}`, t.at);
        return { kind: 'path', path: path.slice(1) };
      }
      return { kind: 'field', name: t.v };
    }
    throw new ExprError(`expected a value ${describe(t)}`, t.at);
  };

  const e = or();
  if (peek().t !== 'end') throw new ExprError(`unexpected ${describe(peek())}`, peek().at);
  return e;
}

function describe(t: Token): string {
  return t.t === 'end' ? 'at the end' : `near ${JSON.stringify(t.v)}`;
}
