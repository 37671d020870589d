import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/store.js';
import { storeFactories } from './support/stores.js';

// The dialect's small functions give the same answers on every engine: projections, reports and matching are
// written once over them.
for (const factory of storeFactories()) {
  describe(`dialect contract: ${factory.name}`, () => {
    const open: Store[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
    });
    const fresh = async () => {
      const { store } = await factory.create();
      open.push(store);
      return store;
    };

    it('jsonTextList reads several top-level keys as text, indexed from 1, NULL where one is missing', async () => {
      const store = await fresh();
      const d = store.dialect;
      await store.exec(`CREATE TABLE j (data ${d.types.json})`);
      await store.exec('INSERT INTO j VALUES ($1)', [JSON.stringify({ a: 'x', b: 7, "it's": true })]);
      const list = d.jsonTextList('data', ['a', 'b', 'missing', "it's"]);
      const rows = await store.query(
        `SELECT l[1] AS a, l[2] AS b, l[3] AS missing, l[4] AS q FROM (SELECT ${list} AS l FROM j) s`,
      );
      expect(rows).toEqual([{ a: 'x', b: '7', missing: null, q: 'true' }]);
    });

    it('pick takes the value of the latest or first row by its keys, among the rows its condition keeps', async () => {
      const store = await fresh();
      const d = store.dialect;
      await store.exec(
        `CREATE TABLE p (g ${d.types.text}, v ${d.types.text}, t ${d.types.timestamp}, s ${d.types.bigint}, ok ${d.types.boolean})`,
      );
      const t = (m: number) => new Date(Date.UTC(2026, 11, 3, 7, m));
      const rows: [string, string | null, Date, number, boolean][] = [
        ['a', 'first', t(1), 1, true],
        ['a', 'tie-low', t(5), 2, true],
        ['a', 'tie-high', t(5), 3, true],
        ['a', 'filtered', t(9), 4, false],
        ['b', 'only', t(2), 5, true],
        ['c', 'none', t(2), 6, false],
      ];
      for (const r of rows) await store.exec('INSERT INTO p VALUES ($1, $2, $3, $4, $5)', r);
      const answer = await store.query(
        `SELECT g, ${d.pick('v', ['t', 's'], 'latest', 'ok')} AS latest, ${d.pick('v', ['t', 's'], 'first', 'ok')} AS first
           FROM p GROUP BY g ORDER BY g`,
      );
      expect(answer).toEqual([
        { g: 'a', latest: 'tie-high', first: 'first' },
        { g: 'b', latest: 'only', first: 'only' },
        { g: 'c', latest: null, first: null },
      ]);
    });

    it('secondsBetween is exact to the millisecond, and negative backwards', async () => {
      const store = await fresh();
      const d = store.dialect;
      const [r] = await store.query(
        `SELECT ${d.secondsBetween('a', 'b')} AS fwd, ${d.secondsBetween('b', 'a')} AS back
           FROM (SELECT CAST($1 AS ${d.types.timestamp}) AS a, CAST($2 AS ${d.types.timestamp}) AS b) x`,
        [new Date('2026-12-03T07:00:00.000Z'), new Date('2026-12-03T07:01:30.123Z')],
      );
      expect(r!.fwd).toBeCloseTo(90.123, 9);
      expect(r!.back).toBeCloseTo(-90.123, 9);
    });

    it('tryCast converts text a column type reads, and gives NULL for the rest instead of failing', async () => {
      const store = await fresh();
      const d = store.dialect;
      const inputs = ['42', '-3', 'lots', '7.25', '', null];
      await store.exec(`CREATE TABLE c (i INTEGER, v ${d.types.text})`);
      for (const [i, v] of inputs.entries()) await store.exec('INSERT INTO c VALUES ($1, $2)', [i, v]);
      const rows = await store.query(
        `SELECT ${d.tryCast('v', 'bigint')} AS n, ${d.tryCast('v', 'double')} AS x,
                ${d.tryCast("CASE WHEN i = 0 THEN 'true' WHEN i = 2 THEN 'maybe' ELSE NULL END", 'boolean')} AS b,
                ${d.tryCast("CASE WHEN i = 0 THEN '2026-12-03' WHEN i = 1 THEN '2026-13-45' ELSE NULL END", 'date')} AS day
           FROM c ORDER BY i`,
      );
      expect(rows.map((r) => r.n)).toEqual([42, -3, null, 7, null, null]);
      expect(rows.map((r) => r.x)).toEqual([42, -3, null, 7.25, null, null]);
      expect(rows.map((r) => r.b)).toEqual([true, null, null, null, null, null]);
      expect(rows.map((r) => (r.day instanceof Date ? r.day.toISOString().slice(0, 10) : r.day))).toEqual([
        '2026-12-03',
        null,
        null,
        null,
        null,
        null,
      ]);
    });

    it('literal and quoteIdent keep any text inside their quotes', async () => {
      const store = await fresh();
      const d = store.dialect;
      const text = `it's "quoted" \\ and ; DROP TABLE events; --`;
      const [r] = await store.query(`SELECT ${d.literal(text)} AS ${d.quoteIdent('a "name"')}`);
      expect(r).toEqual({ 'a "name"': text });
      expect(d.semiJoinByIndex).toBe(factory.name === 'postgres');
    });

    it('stringAgg and arrayAgg collect in the order asked for', async () => {
      const store = await fresh();
      const d = store.dialect;
      await store.exec(`CREATE TABLE a (i ${d.types.integer}, t ${d.types.text})`);
      for (const [i, t] of [
        [3, 'c'],
        [1, 'a'],
        [2, 'b'],
      ] as const)
        await store.exec('INSERT INTO a VALUES ($1, $2)', [i, t]);
      const [r] = await store.query(
        `SELECT ${d.stringAgg('t', "'\n'", 'i')} AS s, ${d.arrayAgg('i', 'i DESC')} AS l FROM a`,
      );
      expect(r!.s).toBe('a\nb\nc');
      expect((r!.l as unknown[]).map(Number)).toEqual([3, 2, 1]);
    });

    it('jsonString writes text as JSON.stringify does (or NULL), isoMillis as toISOString, uriComponent as encodeURIComponent', async () => {
      const store = await fresh();
      const d = store.dialect;
      const texts = [
        'plain',
        'a"b\\c/d',
        "it's (really) *fine*!~",
        'tab\tnew\nline',
        'é ü 😀 \u2028',
        'https://bars.example/cloudevents?x=1&y=a b#z',
        'urn:x:y',
        '\u001b[0m \u000b',
        '',
      ];
      await store.exec(`CREATE TABLE s (i ${d.types.integer}, t ${d.types.text}, ts ${d.types.timestamp})`);
      const times = [
        Date.UTC(2026, 11, 3, 7, 5, 9, 123),
        Date.UTC(1, 0, 1),
        Date.UTC(9999, 11, 31, 23, 59, 59, 999),
        0,
      ];
      for (const [i, t] of texts.entries())
        await store.exec('INSERT INTO s VALUES ($1, $2, $3)', [i, t, new Date(times[i % times.length]!)]);
      const uri = d.uriComponent ? d.uriComponent('t') : 'NULL';
      const rows = await store.query(
        `SELECT i, ${d.jsonString('t')} AS j, ${d.isoMillis('ts')} AS iso, ${uri} AS u FROM s ORDER BY i`,
      );
      for (const r of rows) {
        const i = Number(r.i);
        // NULL is allowed (the caller then builds the text itself); a different text is not.
        if (r.j !== null) expect(r.j, texts[i]).toBe(JSON.stringify(texts[i]));
        expect(r.iso).toBe(new Date(times[i % times.length]!).toISOString());
        if (d.uriComponent) expect(r.u, texts[i]).toBe(encodeURIComponent(texts[i]!));
      }
      // Only control characters may be left to the caller.
      expect(rows.filter((r) => r.j === null).map((r) => texts[Number(r.i)])).toEqual(
        d.name === 'duckdb' ? texts.filter((t) => /[\u0000-\u001f]/.test(t)) : [],
      );
    });
  });
}
