import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { ProjectionEngine } from '../src/project/engine.js';
import { planProjection } from '../src/project/plan.js';
import { ProjectionReaderImpl } from '../src/project/reader.js';
import { storeFactories } from './support/stores.js';

const CONFIG = parseConfig(`
projections:
  users:
    shape: latest
    key: { user_id: subject }
    columns: { plan: data.plan, first_plan: { expr: data.plan, pick: first }, last_type: type, seen: time }
`);

let n = 0;
const event = (subject: string, plan: string, minute: number): NewEvent => ({
  source: 'web',
  id: `e${n++}`,
  type: plan === 'free' ? 'signup' : 'upgrade',
  subject,
  time: Date.parse('2026-11-24T10:00:00Z') + minute * 60_000,
  data: JSON.stringify({ plan }),
  receivedAt: Date.now(),
});

// The DuckDB store is the only writer of its file, so the process that serves it holds a latest projection's
// keys whole in memory and answers keyed reads from there: every answer must still be the merged SQL's.
const duckdb = storeFactories().find((f) => f.name === 'duckdb')!;
describe('keyed reads from the in-memory replica of a latest projection (duckdb)', () => {
  it('answer what the merged query answers, after folds that change, add and leave keys, and for absent keys', async () => {
    const { store } = await duckdb.create();
    const plans = new Map(
      Object.entries(CONFIG.projections).map(([name, d]) => [name, planProjection(name, d, store.dialect)]),
    );
    const engine = new ProjectionEngine(store, plans, pino({ level: 'silent' }), 0);
    const reader = new ProjectionReaderImpl(engine, {});
    const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const keyed = (user: string) =>
      reader.read('users', { filters: { user_id: [{ op: 'eq', value: user }] } });
    const check = async (where: string) => {
      const full = (await reader.read('users', { limit: 10_000 })).rows;
      for (const user of [...users, 'u999', 'nobody']) {
        const answer = await keyed(user);
        expect(answer.rows, `${where}: ${user}`).toEqual(full.filter((r) => r.user_id === user));
      }
    };
    try {
      await engine.init();
      await store.append(users.map((u, i) => event(u, 'free', i)));
      await engine.rebuild('users');
      await keyed('u1'); // the first keyed read loads the replica behind it
      for (let i = 0; i < 100 && !reader.replicaKeys().has('users'); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(reader.replicaKeys().get('users')).toBe(40);
      await check('replicated');
      // A fold changes some keys (a later and an earlier event) and adds one.
      await store.append([event('u3', 'pro', 100), event('u4', 'team', -5), event('u999', 'pro', 1)]);
      await engine.fold();
      await check('after a fold');
      await store.append([event('u3', 'team', 200)]);
      await engine.fold();
      await check('after a second fold');
      // A rebuild swaps a version in: its replica is loaded again from the first keyed read.
      await engine.rebuild('users');
      await check('after a rebuild');
      for (let i = 0; i < 100 && reader.replicaKeys().get('users') !== 41; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(reader.replicaKeys().get('users')).toBe(41);
      // A fold that commits while a replica loads, after the load read the tables: the keys it touched are read
      // from the store afterwards. The load's second stream (the speed table) is held open at its end until then.
      await engine.rebuild('users');
      let release: () => void = () => undefined;
      const folded = new Promise<void>((r) => {
        release = r;
      });
      const stream = store.stream.bind(store);
      let streams = 0;
      store.stream = async function* (sql, params) {
        const nth = ++streams;
        yield* stream(sql, params);
        if (nth === 2) await folded;
      };
      await keyed('u5');
      while (streams < 2) await new Promise((r) => setTimeout(r, 5));
      await store.append([event('u5', 'pro', 300), event('u6', 'pro', 300)]);
      await engine.fold();
      release();
      for (let i = 0; i < 100 && !reader.replicaKeys().has('users'); i++)
        await new Promise((r) => setTimeout(r, 10));
      await check('after folds during the load');
    } finally {
      await engine.close();
      await store.close();
    }
  });
});
