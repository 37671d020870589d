import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { ProjectionEngine } from '../src/project/engine.js';
import { planProjection } from '../src/project/plan.js';
import { ProjectionReaderImpl } from '../src/project/reader.js';
import { allVersions } from '../src/project/registry.js';
import { storeFactories } from './support/stores.js';

const CONFIG = parseConfig(`
projections:
  per_type:
    shape: aggregate
    dimensions: { type: type }
    measures: { n: count() }
`);

// Server mode runs a projection engine in every worker, and each builds what is stale when it starts: two
// workers swap versions of the same projection at the same moment. Each such swap must retire what the other
// made active, so that one version is active and every other one is dropped.
for (const factory of storeFactories())
  describe(`swaps of one projection by two engines at once (${factory.name})`, () => {
    it('leave one active version, and the retired ones dropped', async () => {
      const { store } = await factory.create();
      const engines = [0, 1].map(
        () =>
          new ProjectionEngine(
            store,
            new Map(
              Object.entries(CONFIG.projections).map(([n, d]) => [n, planProjection(n, d, store.dialect)]),
            ),
            pino({ level: 'silent' }),
            0,
          ),
      );
      try {
        for (const e of engines) await e.init();
        await store.append(
          Array.from({ length: 50 }, (_, i) => ({
            source: 'shop',
            id: `e${i}`,
            type: i % 2 ? 'paid' : 'placed',
            subject: null,
            time: Date.parse('2026-11-24T10:00:00Z'),
            data: '{}',
            receivedAt: Date.parse('2026-11-24T10:00:01Z'),
          })),
        );
        for (let round = 0; round < 5; round++)
          await Promise.all(engines.map((e) => e.rebuild('per_type').catch(() => undefined)));
        await new Promise((r) => setTimeout(r, 200)); // the retired versions' drops (retireAfterMs 0)
        const versions = await allVersions(store);
        expect(versions.filter((v) => v.status === 'active')).toHaveLength(1);
        expect(versions.filter((v) => v.status === 'retired')).toEqual([]);
        const { rows } = await new ProjectionReaderImpl(engines[1]!, {}).read('per_type');
        expect(rows.sort((a, b) => String(a.type).localeCompare(String(b.type)))).toEqual([
          { type: 'paid', n: 25 },
          { type: 'placed', n: 25 },
        ]);
      } finally {
        for (const e of engines) await e.close();
        await store.close();
      }
    });
  });
