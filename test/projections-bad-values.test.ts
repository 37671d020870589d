import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { ProjectionEngine } from '../src/project/engine.js';
import { planProjection } from '../src/project/plan.js';
import { ProjectionReaderImpl } from '../src/project/reader.js';
import { storeFactories } from './support/stores.js';

// One event's "lots" where a number belongs used to fail the CAST, and with it every rebuild and every
// speed-layer fold of the projection, for good: one bad event stopped the view for everybody.
const CONFIG = parseConfig(`
projections:
  amounts:
    shape: aggregate
    dimensions: { type: type }
    measures:
      n: count()
      given: count(data.amount)
      total: sum(data.amount)
      low: min(data.amount)
      whole: sum(int(data.amount))
      latest_at: max(timestamp(data.at))
`);

const event = (id: string, data: unknown): NewEvent => ({
  source: 'shop',
  id,
  type: 'paid',
  subject: null,
  time: Date.parse('2026-11-24T10:00:00Z'),
  data: JSON.stringify(data),
  receivedAt: Date.parse('2026-11-24T10:00:01Z'),
});

for (const factory of storeFactories())
  describe(`projections over values that are not what they should be (${factory.name})`, () => {
    it('read a value that is not a number or a time as NULL, in rebuilds and in the speed layer', async () => {
      const { store } = await factory.create();
      const plans = new Map(
        Object.entries(CONFIG.projections).map(([n, d]) => [n, planProjection(n, d, store.dialect)]),
      );
      const engine = new ProjectionEngine(store, plans, pino({ level: 'silent' }), 0);
      try {
        await engine.init();
        await store.append([
          event('a', { amount: 5, at: '2026-11-24T09:00:00Z' }),
          event('b', { amount: 'lots', at: 'yesterday' }),
          event('c', { amount: '7', at: '2026-13-45T00:00:00Z' }),
        ]);
        await engine.rebuild('amounts');
        await store.append([
          event('d', { amount: 2.5, at: '2026-11-24T11:00:00Z' }),
          event('e', { amount: { nested: 1 } }),
          event('f', { amount: true, at: 12 }),
        ]);
        await engine.fold();
        const { rows } = await new ProjectionReaderImpl(engine, {}).read('amounts', { limit: 10 });
        expect(rows).toEqual([
          {
            type: 'paid',
            n: 6,
            given: 6,
            total: 14.5,
            low: 2.5,
            whole: 15, // 5 + 7 + 3: 2.5 rounds, as DuckDB's cast and PostgreSQL's round() both do
            latest_at: new Date('2026-11-24T11:00:00Z'),
          },
        ]);
      } finally {
        await engine.close();
        await store.close();
      }
    });
  });
