import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { Random } from '../src/generate/random.js';
import { ProjectionEngine } from '../src/project/engine.js';
import { planProjection } from '../src/project/plan.js';
import type { ProjectionAnswer } from '../src/project/projection-reader.js';
import { ProjectionReaderImpl } from '../src/project/reader.js';
import { storeFactories } from './support/stores.js';

const CONFIG = parseConfig(`
projections:
  by_type:
    shape: aggregate
    filter: { types: [a, b] }
    dimensions: { type: type, hour: hour(time) }
    measures: { n: count(), total: sum(data.n), low: min(data.n), high: max(time), subjects: count_distinct(subject), with_n: count(data.n) }
  state:
    shape: latest
    key: { subject: subject }
    columns:
      v: data.v
      first_v: { expr: data.v, pick: first }
      last_a: { expr: time, from: [a] }
      kind: type
`);

interface Ev {
  id: string;
  type: string;
  subject: string;
  time: number;
  data: { n?: number; v?: string };
}

// An independent oracle in plain JS, over the events as stored (deduplicated on id, seq in arrival order).
function oracle(stored: (Ev & { seq: number })[]) {
  const agg = new Map<
    string,
    {
      type: string;
      hour: number;
      n: number;
      total: number | null;
      low: number | null;
      high: number;
      subjects: Set<string>;
      with_n: number;
    }
  >();
  for (const e of stored) {
    if (e.type !== 'a' && e.type !== 'b') continue;
    const hour = Math.floor(e.time / 3_600_000) * 3_600_000;
    const k = `${e.type}|${hour}`;
    const g = agg.get(k) ?? {
      type: e.type,
      hour,
      n: 0,
      total: null,
      low: null,
      high: -Infinity,
      subjects: new Set(),
      with_n: 0,
    };
    g.n++;
    if (e.data.n !== undefined) {
      g.total = (g.total ?? 0) + e.data.n;
      g.low = g.low === null ? e.data.n : Math.min(g.low, e.data.n);
      g.with_n++;
    }
    g.high = Math.max(g.high, e.time);
    g.subjects.add(e.subject);
    agg.set(k, g);
  }
  const byTime = (x: { time: number; seq: number }, y: { time: number; seq: number }) =>
    x.time - y.time || x.seq - y.seq;
  const state = new Map<
    string,
    { v: string | null; first_v: string | null; last_a: number | null; kind: string }
  >();
  const sorted = [...stored].sort(byTime);
  for (const e of sorted) {
    const s = state.get(e.subject) ?? { v: null, first_v: null, last_a: null, kind: e.type };
    if (e.data.v !== undefined) {
      s.v = e.data.v;
      if (s.first_v === null) s.first_v = e.data.v;
    }
    if (e.type === 'a') s.last_a = e.time;
    s.kind = e.type;
    state.set(e.subject, s);
  }
  return {
    byType: [...agg.values()]
      .map((g) => ({
        type: g.type,
        hour: new Date(g.hour),
        n: g.n,
        total: g.total,
        low: g.low,
        high: new Date(g.high),
        subjects: g.subjects.size,
        with_n: g.with_n,
      }))
      .sort((x, y) => (x.type + x.hour.toISOString()).localeCompare(y.type + y.hour.toISOString())),
    state: [...state.entries()]
      .map(([subject, s]) => ({
        subject,
        v: s.v,
        first_v: s.first_v,
        last_a: s.last_a === null ? null : new Date(s.last_a),
        kind: s.kind,
      }))
      .sort((x, y) => x.subject.localeCompare(y.subject)),
  };
}

function randomStream(rnd: Random, n: number): Ev[] {
  const base = Date.parse('2026-11-24T00:00:00Z');
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    // Times wander back and forth across hours, so many events arrive after later-timed ones (late events).
    const time = base + rnd.int(0, 5 * 3_600_000);
    const data: Ev['data'] = {};
    if (rnd.chance(0.7)) data.n = rnd.int(-50, 50);
    if (rnd.chance(0.5)) data.v = rnd.pick(['x', 'y', 'z', 'w']);
    out.push({ id: `e${i}`, type: rnd.pick(['a', 'b', 'c']), subject: `s${rnd.int(1, 12)}`, time, data });
    // A retried event: the same id again, perhaps with different content (stored once: the first wins).
    if (rnd.chance(0.1)) out.push({ ...out[rnd.int(0, out.length - 1)]!, data: { n: 999 } });
  }
  return out;
}

const toNew = (e: Ev): NewEvent => ({
  source: 'p',
  id: e.id,
  type: e.type,
  subject: e.subject,
  time: e.time,
  data: JSON.stringify(e.data),
  receivedAt: e.time,
});

for (const factory of storeFactories())
  describe(`batch ∪ speed equals a full recompute (${factory.name})`, () => {
    it('for random streams and random watermark cuts, every measure and column', async () => {
      const rnd = new Random(20261124);
      for (let round = 0; round < (factory.name === 'duckdb' ? 25 : 8); round++) {
        const { store } = await factory.create();
        const plans = new Map(
          Object.entries(CONFIG.projections).map(([n, d]) => [n, planProjection(n, d, store.dialect)]),
        );
        const engine = new ProjectionEngine(store, plans, pino({ level: 'silent' }), 0);
        await engine.init();
        const reader = new ProjectionReaderImpl(engine, {});
        // The same engine seen as a store other processes write (PostgreSQL's case): nothing kept in memory, so
        // its keyed reads always reach the tables, and concurrent ones share one statement.
        const shared = Object.assign(Object.create(store) as typeof store, { exclusive: false });
        const uncached = new ProjectionReaderImpl(
          Object.assign(Object.create(engine) as ProjectionEngine, { store: shared }),
          {},
        );
        const stream = randomStream(rnd, rnd.int(1, 300));
        const cut = rnd.int(0, stream.length);
        let built = false;
        // Between folds and rebuilds, a keyed read (two index lookups, and on DuckDB the hot-key cache that folds
        // invalidate) answers what the full merged query answers at that moment, freshness included.
        const checkKeyed = async (where: string) => {
          const full = await reader.read('state', { limit: 10_000 });
          // Pages kept by the registry stamp (the uncached reader's) answer what the tables hold now.
          expect(
            (await uncached.read('state', { limit: 10_000 })).rows,
            `round ${round}, ${where}, page`,
          ).toEqual(full.rows);
          const subjects = [...Array.from({ length: 12 }, (_, i) => `s${i + 1}`), 's99'];
          // Read one by one (kept in memory on DuckDB), then all at once without memory (concurrent lookups share one
          // statement): both ways the same rows.
          const one: ProjectionAnswer[] = [];
          for (const subject of subjects)
            one.push(await reader.read('state', { filters: { subject: [{ op: 'eq', value: subject }] } }));
          const together = await Promise.all(
            subjects.map((subject) =>
              uncached.read('state', { filters: { subject: [{ op: 'eq', value: subject }] } }),
            ),
          );
          for (const [i, subject] of subjects.entries()) {
            for (const keyed of [one[i]!, together[i]!]) {
              expect(keyed.rows, `round ${round}, ${where}, key ${subject}`).toEqual(
                full.rows.filter((r) => r.subject === subject),
              );
              expect(keyed.freshness.watermark + keyed.freshness.speedEvents).toBe(
                full.freshness.watermark + full.freshness.speedEvents,
              );
            }
          }
        };
        const send = async (events: Ev[]) => {
          for (let i = 0; i < events.length; ) {
            const size = rnd.int(1, 40);
            await store.append(events.slice(i, i + size).map(toNew));
            i += size;
            if (rnd.chance(0.5)) await engine.fold();
            if (built && rnd.chance(0.3)) await checkKeyed(`after ${i} events`);
            if (built && rnd.chance(0.05)) await engine.rebuild('state');
          }
        };
        await send(stream.slice(0, cut));
        for (const name of plans.keys()) await engine.rebuild(name);
        built = true;
        await checkKeyed('after the build');
        await send(stream.slice(cut));
        await engine.fold();

        const stored = (await store.readEvents(0, 100_000)).map((e) => ({
          seq: e.seq,
          id: e.id,
          type: e.type,
          subject: e.subject!,
          time: e.time,
          data: JSON.parse(e.data),
        }));
        const expected = oracle(stored);
        const merged = {
          byType: (
            await reader.read('by_type', { limit: 10_000, sort: [{ column: 'type' }, { column: 'hour' }] })
          ).rows,
          state: (await reader.read('state', { limit: 10_000, sort: [{ column: 'subject' }] })).rows,
        };
        expect(merged, `round ${round}, ${stream.length} events, cut at ${cut}`).toEqual(expected);
        // A read naming the key takes the keyed merge (two index lookups): the same row as the full merge, or none.
        for (const subject of ['s1', `s${rnd.int(1, 12)}`, 's99']) {
          const keyed = await reader.read('state', { filters: { subject: [{ op: 'eq', value: subject }] } });
          expect(keyed.rows, `round ${round}, key ${subject}`).toEqual(
            expected.state.filter((r) => r.subject === subject),
          );
        }
        // And the speed layer really carried the events after the cut.
        const f = (await reader.read('state', { limit: 1 })).freshness;
        expect(f.watermark + f.speedEvents).toBe(stored.length);
        await engine.close();
        await store.close();
      }
    });
  });

for (const factory of storeFactories()) {
  describe(`concurrent speed-layer folds (${factory.name})`, () => {
    it('fold each range once when two workers fold at the same time', async () => {
      const { store, reopen } = await factory.create();
      // A second connection to the same store, as a second worker process would have (DuckDB: the same one).
      const other = factory.name === 'duckdb' ? store : await reopen();
      const plansOf = (s: typeof store) =>
        new Map(Object.entries(CONFIG.projections).map(([n, d]) => [n, planProjection(n, d, s.dialect)]));
      const a = new ProjectionEngine(store, plansOf(store), pino({ level: 'silent' }), 0);
      const b = new ProjectionEngine(other, plansOf(other), pino({ level: 'silent' }), 0);
      await a.init();
      await b.init();
      for (const name of a.plans.keys()) await a.rebuild(name);
      const rnd = new Random(5);
      const stream = randomStream(rnd, 400);
      for (let i = 0; i < stream.length; i += 50) {
        await store.append(stream.slice(i, i + 50).map(toNew));
        await Promise.all([a.fold(), b.fold(), a.fold(), b.fold()]);
      }
      const reader = new ProjectionReaderImpl(a, {});
      const merged = (
        await reader.read('by_type', { limit: 10_000, sort: [{ column: 'type' }, { column: 'hour' }] })
      ).rows;
      for (const name of a.plans.keys()) await a.rebuild(name);
      const full = (
        await reader.read('by_type', { limit: 10_000, sort: [{ column: 'type' }, { column: 'hour' }] })
      ).rows;
      expect(merged).toEqual(full);
      if (other !== store) await other.close();
      await store.close();
    });
  });
}
