import { describe, expect, it } from 'vitest';
import { replaceNamed, scanNamed } from './named-params.js';
import { Params } from './sql-params.js';

describe('Params', () => {
  it('numbers placeholders from the first and keeps the values in order', () => {
    const p = new Params(3);
    expect(p.add('a')).toBe('$3');
    expect(p.list([1, 2])).toBe('$4, $5');
    expect(p.values).toEqual(['a', 1, 2]);
  });

  it('binds a named value once and answers its placeholder again', () => {
    const p = new Params();
    let reads = 0;
    const v = () => ++reads;
    expect([p.named('x', v), p.add('y'), p.named('x', v)]).toEqual(['$1', '$2', '$1']);
    expect(p.values).toEqual([1, 'y']);
    expect(p.hasNamed('x')).toBe(true);
    expect(p.hasNamed('y')).toBe(false);
  });

  it('speaks another placeholder style', () => {
    const p = new Params(1, () => '?');
    expect(p.list(['a', 'b'])).toBe('?, ?');
  });
});

describe('scanNamed', () => {
  it('finds :name outside string literals and :: casts', () => {
    const sql = "SELECT :a::text, ':b', x::int FROM t WHERE y = :a AND z = :c_2";
    expect(replaceNamed(sql, (n) => `<${n}>`)).toBe(
      "SELECT <a>::text, ':b', x::int FROM t WHERE y = <a> AND z = <c_2>",
    );
  });

  it("keeps a doubled quote inside a literal ('it''s :x')", () => {
    expect(replaceNamed("SELECT 'it''s :x', :y", (n) => `<${n}>`)).toBe("SELECT 'it''s :x', <y>");
  });

  it('reads the caller’s special words at word starts only', () => {
    const special = /^projection\(\s*'?([a-z]+)'?\s*\)/i;
    const pieces = [...scanNamed("SELECT * FROM projection('orders') o, myprojection(x) WHERE :k", special)];
    expect(pieces.map((p) => p.kind)).toEqual(['text', 'special', 'text', 'param']);
    expect(pieces[1]!.kind === 'special' && pieces[1]!.match[1]).toBe('orders');
    expect(pieces[2]!.text).toBe(' o, myprojection(x) WHERE ');
  });
});
