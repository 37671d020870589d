import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { ordersGenerator } from '../src/generate/orders.js';
import { ReportRunner } from '../src/report/runner.js';
import { listRuns } from '../src/report/runs.js';
import { ReportScheduler } from '../src/report/scheduler.js';
import type { Runtime } from '../src/runtime.js';
import { type RuntimeFactory, runtimeFactories } from './support/runtimes.js';
import { tempDir } from './support/temp.js';

const T0 = Date.parse('2026-11-24T10:00:00Z');
let runtime: Runtime;
let runner: ReportRunner;
let generated: Record<string, unknown>[];

// Every suite that runs on both stores takes them from one loop (support/runtimes.ts).
const config = (engine: RuntimeFactory, dir: string) =>
  parseConfig(`
${engine.storeYaml(dir)}
reports:
  age: { builtin: orders.age, schedule: "*/5 * * * *", offset: 15m }
  status: { builtin: orders.status, offset: 15m }
  estimate: { builtin: orders.estimate, offset: 15m, missed: catch_up, schedule: "*/5 * * * *" }
  broken: { sql: "SELECT * FROM no_such_table", schedule: "*/5 * * * *" }
`);

const toEvent = (e: Record<string, unknown>, i: number): NewEvent => ({
  source: 'orders',
  id: String(e.id),
  type: String(e.type),
  subject: String(e.aggregate_id),
  time: Date.parse(String(e.timestamp)),
  data: JSON.stringify(e.data),
  receivedAt: T0 + i,
});

for (const engine of runtimeFactories())
  describe(`reports (${engine.name})`, () => {
    beforeAll(async () => {
      const dir = tempDir();
      runtime = await createRuntime(config(engine, dir), dir, pino({ level: 'silent' }));
      runner = new ReportRunner(runtime);
      generated = [...ordersGenerator.generate({ count: 3000, seed: 11, start: T0 })];
      // Hand-checkable edges around the window [10:45, 11:00]: updated exactly at the start and at the end are in,
      // a millisecond outside is out, a change after the end is ignored.
      const at = (iso: string) => new Date(iso).toISOString();
      const edge = (order: string, created: string, updated: string, status: string) => [
        {
          id: `${order}-o`,
          type: 'product_ordered',
          timestamp: at(created),
          aggregate_id: order,
          data: { customer_id: 'c-edge', name: 'mug' },
        },
        { id: `${order}-s`, type: `order_${status}`, timestamp: at(updated), aggregate_id: order, data: {} },
      ];
      generated.push(
        ...edge('edge-start', '2026-11-25T10:30:00Z', '2026-11-25T10:45:00.000Z', 'fulfilled'),
        ...edge('edge-end', '2026-11-25T10:40:00Z', '2026-11-25T11:00:00.000Z', 'fulfilled'),
        ...edge('edge-before', '2026-11-25T10:30:00Z', '2026-11-25T10:44:59.999Z', 'fulfilled'),
        ...edge('edge-after', '2026-11-25T10:30:00Z', '2026-11-25T11:00:00.001Z', 'fulfilled'),
        ...edge('edge-cancel', '2026-11-25T10:50:00Z', '2026-11-25T10:52:59.999Z', 'cancelled'),
        // Fulfilled in the window, then cancelled after the end: as of the end it is FULFILLED.
        ...edge('edge-later', '2026-11-25T10:00:00Z', '2026-11-25T10:50:00Z', 'fulfilled'),
        {
          id: 'edge-later-x',
          type: 'order_cancelled',
          timestamp: at('2026-11-25T11:30:00Z'),
          aggregate_id: 'edge-later',
          data: {},
        },
      );
      await runtime.committer.submit(generated.map(toEvent));
    });
    afterAll(async () => {
      await runtime.close();
    });

    // The independent computation: every order's state as of `end`, in plain JS, from the same events.
    function expected(endMs: number, offsetMs: number) {
      const start = endMs - offsetMs;
      const orders = new Map<
        string,
        { customer_id: string; product: string; created: number; updated: number; status: string }
      >();
      const sorted = generated
        .map(
          (e, i) =>
            ({ ...e, t: Date.parse(String(e.timestamp)), i }) as Record<string, unknown> & {
              t: number;
              i: number;
            },
        )
        .sort((a, b) => a.t - b.t || a.i - b.i);
      for (const e of sorted) {
        if (e.t > endMs) continue;
        const id = String(e.aggregate_id);
        const data = e.data as { customer_id?: string; name?: string };
        if (e.type === 'product_ordered') {
          orders.set(id, {
            customer_id: data.customer_id!,
            product: data.name!,
            created: e.t,
            updated: e.t,
            status: 'CREATED',
          });
        } else if (String(e.type).startsWith('order_') && orders.has(id)) {
          const o = orders.get(id)!;
          o.updated = e.t;
          o.status = String(e.type).slice(6).toUpperCase();
        }
      }
      const inWindow = [...orders.entries()].filter(([, o]) => o.updated >= start && o.updated <= endMs);
      const age = inWindow
        .filter(([, o]) => o.status === 'FULFILLED')
        .map(([id, o]) => ({
          order_id: id,
          customer_id: o.customer_id,
          product: o.product,
          created_ts: new Date(o.created),
          updated_ts: new Date(o.updated),
          age_seconds: (o.updated - o.created) / 1000,
        }))
        .sort(
          (a, b) => a.updated_ts.getTime() - b.updated_ts.getTime() || a.order_id.localeCompare(b.order_id),
        );
      const status = new Map<string, number>();
      for (const [, o] of inWindow) status.set(o.status, (status.get(o.status) ?? 0) + 1);
      const estimate = new Map<number, number>();
      for (const [, o] of inWindow) {
        if (o.status !== 'CANCELLED') continue;
        const m = Math.floor((o.updated - o.created) / 60_000);
        estimate.set(m, (estimate.get(m) ?? 0) + 1);
      }
      return {
        age,
        status: [...status.entries()].sort().map(([s, n]) => ({ status: s, orders: n })),
        estimate: [...estimate.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([m, n]) => ({ age_minutes: m, cancelled_orders: n })),
      };
    }

    describe('the orders reports', () => {
      it('equal an independent computation over many windows', async () => {
        const last = Math.max(...generated.map((e) => Date.parse(String(e.timestamp))));
        for (const [endMs, offset, offsetMs] of [
          [T0 + 3_600_000, '15m', 900_000],
          [T0 + 5 * 3_600_000, '2h', 7_200_000],
          [last, '1d', 86_400_000],
          [T0 + 2 * 86_400_000, '7d', 7 * 86_400_000],
        ] as const) {
          const want = expected(endMs, offsetMs);
          for (const name of ['age', 'status', 'estimate'] as const) {
            const got = await runner.compute(name, { end: new Date(endMs), offset });
            expect(got.rows, `${name} ending ${new Date(endMs).toISOString()} over ${offset}`).toEqual(
              want[name],
            );
          }
          expect(want.age.length + want.status.length).toBeGreaterThan(0);
        }
      });

      it('handles the edges of the window by hand', async () => {
        const end = new Date('2026-11-25T11:00:00Z');
        const age = (await runner.compute('age', { end, offset: '15m' })).rows;
        expect(age.map((r) => r.order_id)).toEqual(['edge-start', 'edge-later', 'edge-end']);
        expect(age.find((r) => r.order_id === 'edge-end')!.age_seconds).toBe(1200);
        for (const r of age) expect(r.age_seconds as number).toBeGreaterThan(0);
        expect((await runner.compute('status', { end, offset: '15m' })).rows).toEqual([
          { status: 'CANCELLED', orders: 1 },
          { status: 'FULFILLED', orders: 3 },
        ]);
        // Cancelled after 2 min 59.999 s: age 2 whole minutes (rounded down), grouped.
        expect((await runner.compute('estimate', { end, offset: '15m' })).rows).toEqual([
          { age_minutes: 2, cancelled_orders: 1 },
        ]);
        // Rerunning a past window after later events gives the same answer.
        const again = (await runner.compute('age', { end, offset: '15m' })).rows;
        expect(again).toEqual(age);
      });

      it('writes the file at reports/<name>/dt=<end>/report.csv and records the run', async () => {
        const end = new Date('2026-11-25T11:00:00Z');
        const run = await runner.run('status', { end });
        expect(run.status).toBe('ok');
        expect(run.file).toMatch(/reports\/status\/dt=2026-11-25T11:00:00.000Z\/report\.csv$/);
        expect(fs.readFileSync(run.file!, 'utf8')).toBe('status,orders\nCANCELLED,1\nFULFILLED,3\n');
        // No temporary file is left beside it.
        expect(fs.readdirSync(path.dirname(run.file!))).toEqual(['report.csv']);
      });
    });

    describe('the scheduler', () => {
      it('runs each report at its times with end = the scheduled time, records failures, and keeps going', async () => {
        const ran: string[] = [];
        const s = new ReportScheduler(
          runtime.config.reports,
          runtime.store,
          async (name, t) => {
            ran.push(`${name}@${t.toISOString().slice(11, 16)}`);
            return runner.run(name, { scheduledFor: t, end: t });
          },
          pino({ level: 'silent' }),
        );
        await s.init(new Date('2026-11-25T12:01:00Z'));
        await s.tick(new Date('2026-11-25T12:04:59Z'));
        expect(ran).toEqual([]);
        await s.tick(new Date('2026-11-25T12:05:00Z'));
        expect(ran.sort()).toEqual(['age@12:05', 'broken@12:05', 'estimate@12:05']);
        const [failed] = await listRuns(runtime.store, 'broken', 1);
        expect(failed).toMatchObject({ status: 'failed', windowEnd: '2026-11-25T12:05:00.000Z' });
        expect(failed!.error).toMatch(/no_such_table/);
        // Downtime: 12:05 → 12:21. estimate catches up every missed time; age (skip) runs only the latest.
        ran.length = 0;
        await s.tick(new Date('2026-11-25T12:21:00Z'));
        expect(ran.filter((r) => r.startsWith('estimate'))).toEqual([
          'estimate@12:10',
          'estimate@12:15',
          'estimate@12:20',
        ]);
        expect(ran.filter((r) => r.startsWith('age'))).toEqual(['age@12:20']);
        expect(ran.filter((r) => r.startsWith('broken'))).toEqual(['broken@12:20']);
        const [ok] = await listRuns(runtime.store, 'estimate', 1);
        expect(ok).toMatchObject({ status: 'ok', scheduledFor: '2026-11-25T12:20:00.000Z' });
        // A restart resumes from the last recorded time, not from the clock.
        const restarted = new ReportScheduler(
          runtime.config.reports,
          runtime.store,
          async () => undefined,
          pino({ level: 'silent' }),
        );
        await restarted.init(new Date('2026-11-25T13:00:00Z'));
        expect(restarted.upcoming().find((u) => u.name === 'estimate')!.next).toBe(
          '2026-11-25T12:25:00.000Z',
        );
      });

      it('never runs one report twice at once', async () => {
        const slow = runner.run('age', { end: new Date('2026-11-25T11:00:00Z') });
        const second = await runner.run('age', { end: new Date('2026-11-25T11:00:00Z') });
        expect(second.status).toBe('skipped');
        expect((await slow).status).toBe('ok');
      });
    });
  });
