import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { destinationsOf } from '../src/destinations/service.js';
import { startServices } from '../src/services.js';
import { until } from './support/destinations.js';
import { startReceiver } from './support/receiver.js';
import { serviceUrl } from './support/services.js';
import { tempDir } from './support/temp.js';

const pgUrl = serviceUrl('postgres');
const ENGINES = ['duckdb', ...(pgUrl ? ['postgres'] : [])] as const;

const order = (id: string, subject: string, type: string, data: object = {}): NewEvent => ({
  source: 'shop',
  id,
  type,
  subject,
  time: Date.parse('2026-12-01T10:00:00Z') + Number(id) * 1000,
  data: JSON.stringify(data),
  receivedAt: Date.now(),
});

type Change = {
  idempotency_key: string;
  projection: string;
  key: { order_id: string };
  row: Record<string, unknown> | null;
  seq: number;
};

for (const engine of ENGINES)
  describe(`a projection's change feed as a destination (${engine})`, () => {
    it('sends each changed key with its new row and the seq of its last change, after the fold', async () => {
      const r = await startReceiver();
      const dir = tempDir();
      const store =
        engine === 'duckdb'
          ? `store: { path: ${path.join(dir, 'store.duckdb')} }`
          : `store: { engine: postgres, url: "${pgUrl}", schema: c_${process.pid}_${Date.now()} }`;
      const runtime = await createRuntime(
        parseConfig(`${store}
sources: { shop: {} }
projections:
  orders:
    shape: latest
    filter: { types: [order_created, order_paid] }
    key: { order_id: subject }
    columns:
      status: "upper(replace(type, 'order_', ''))"
      amount: { expr: data.amount, from: [order_created] }
destinations:
  orders_feed:
    projection: orders
    webhook: { url: "${r.url}" }
    batch: { count: 100, wait: 10ms }
`),
        dir,
        pino({ level: 'silent' }),
      );
      try {
        await startServices(runtime);
        const admin = (await destinationsOf(runtime))!.admin;
        await runtime.committer.submit([
          order('1', 'o1', 'order_created', { amount: 10 }),
          order('2', 'o2', 'order_created', { amount: 20 }),
          order('3', 'x', 'unrelated'),
        ]);
        const changes = () => r.delivered() as unknown as Change[];
        await until('two changes', () => changes().length === 2, 15_000);
        await runtime.committer.submit([order('4', 'o1', 'order_paid')]);
        await until('the third change', () => changes().length === 3, 15_000);
        const got = changes();
        expect(got.map((c) => [c.key.order_id, c.row?.status, c.row?.amount])).toEqual([
          ['o1', 'CREATED', '10'],
          ['o2', 'CREATED', '20'],
          ['o1', 'PAID', '10'],
        ]);
        expect(got.map((c) => c.seq)).toEqual([1, 2, 4]);
        expect(got.map((c) => c.idempotency_key)).toEqual([
          'orders:{"order_id":"o1"}:1',
          'orders:{"order_id":"o2"}:2',
          'orders:{"order_id":"o1"}:4',
        ]);
        expect(got.every((c) => c.projection === 'orders')).toBe(true);
        await until('the cursor', async () => (await admin.list())[0]!.lagEvents === 0);
        // A replay sends each key's current row once, whatever number of events changed it.
        await admin.replay('orders_feed', { fromSeq: 1 });
        (await destinationsOf(runtime))!.wake('orders_feed');
        await until('the replay', () => changes().length === 5, 15_000);
        expect(
          changes()
            .slice(3)
            .map((c) => [c.key.order_id, c.row?.status, c.seq]),
        ).toEqual([
          ['o2', 'CREATED', 2],
          ['o1', 'PAID', 4],
        ]);
        await expect(admin.replayDeadLetters('orders_feed')).rejects.toThrow(/change feed/);
      } finally {
        await runtime.close();
        await r.close();
      }
    });

    it('is refused for a projection that is not latest, or missing', () => {
      const base = 'destinations:\n  f:\n    webhook: { url: "http://127.0.0.1:9/x" }\n';
      expect(() => parseConfig(`${base}    projection: nope\n`)).toThrow(/no projection named nope/);
      expect(() =>
        parseConfig(
          `projections:\n  n:\n    shape: aggregate\n    dimensions: { t: type }\n    measures: { c: count() }\n${base}    projection: n\n`,
        ),
      ).toThrow(/only latest projections have a change feed/);
    });
  });
