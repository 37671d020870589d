/** A piece of SQL text as the named-parameter scanner reads it. */
export type SqlPiece =
  | { readonly kind: 'text'; readonly text: string }
  /** `:name`, outside string literals and not a `::` cast. */
  | { readonly kind: 'param'; readonly text: string; readonly name: string }
  /** A match of the caller's `special` pattern, at a word start outside string literals. */
  | { readonly kind: 'special'; readonly text: string; readonly match: RegExpExecArray };

/**
 * Splits SQL written with `:name` parameters (report and projection queries) into text, parameters and the
 * caller's special words (a projection's `projection('name')`): string literals and `::` casts stay text.
 * `special` must be anchored with `^`.
 */
export function* scanNamed(sql: string, special?: RegExp): Generator<SqlPiece> {
  let text = '';
  for (let i = 0; i < sql.length; ) {
    const c = sql[i]!;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop;
      continue;
    }
    const m = special && (i === 0 || !/[A-Za-z0-9_]/.test(sql[i - 1]!)) ? special.exec(sql.slice(i)) : null;
    if (m) {
      if (text) yield { kind: 'text', text };
      text = '';
      yield { kind: 'special', text: m[0], match: m };
      i += m[0].length;
      continue;
    }
    if (c === ':' && sql[i + 1] === ':') {
      text += '::';
      i += 2;
      continue;
    }
    const p = c === ':' ? /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(i)) : null;
    if (p) {
      if (text) yield { kind: 'text', text };
      text = '';
      yield { kind: 'param', text: p[0], name: p[1]! };
      i += p[0].length;
      continue;
    }
    text += c;
    i++;
  }
  if (text) yield { kind: 'text', text };
}

/** SQL with each `:name` replaced by what `param` answers for it (its bound placeholder). */
export function replaceNamed(sql: string, param: (name: string) => string): string {
  let out = '';
  for (const piece of scanNamed(sql)) out += piece.kind === 'param' ? param(piece.name) : piece.text;
  return out;
}
