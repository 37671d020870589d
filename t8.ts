import path from 'node:path';
import { pino } from 'pino';
import { parseConfig } from './src/config/load.js';
import { ProjectionEngine } from './src/project/engine.js';
import { planProjection } from './src/project/plan.js';
import { ProjectionReaderImpl } from './src/project/reader.js';
import { DuckDbStore } from './src/store/duckdb/duckdb-store.js';
import { tempDir } from './test/support/temp.js';
const CONFIG = parseConfig(`
projections:
  users:
    shape: latest
    key: { user_id: subject }
    columns: { country: data.country, plan: data.plan, last_type: type, last_seen: time }
`);
const file = process.env.FILE ?? path.join(tempDir(), 's.duckdb');
const store = await DuckDbStore.open({ path: file });
const plans = new Map(Object.entries(CONFIG.projections).map(([n, d]) => [n, planProjection(n, d, store.dialect)]));
const engine = new ProjectionEngine(store, plans, pino({ level: 'warn' }), 0);
await engine.init();
if (!process.env.FILE || (await store.lastSeq()) === 0) {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < 1_000_000; i += 50_000)
    await store.append(Array.from({ length: 50_000 }, (_, j) => ({ source: 'web', id: `b${i + j}`, type: 'page_viewed', subject: `u${i + j}`, time: t0 + (i + j) * 1000, data: `{"country":"FR","plan":"p${j % 3}"}`, receivedAt: t0 })));
  await engine.rebuild('users');
  for (let i = 0; i < 100_000; i += 20_000) {
    await store.append(Array.from({ length: 20_000 }, (_, j) => ({ source: 'web', id: `s${i + j}`, type: 'order_placed', subject: `u${Math.floor(Math.random() * 1e6)}`, time: t0 + 86_400_000_000, data: '{"country":"DE"}', receivedAt: t0 })));
    await engine.fold();
  }
}
const reader = new ProjectionReaderImpl(engine, {});
const t = performance.now();
await reader.read('users', { filters: { user_id: [{ op: 'eq', value: 'u1' }] } });
while (!reader.replicaKeys().has('users')) await new Promise((r) => setTimeout(r, 20));
global.gc?.();
console.log('replica of', reader.replicaKeys().get('users'), 'keys loaded in', Math.round(performance.now() - t), 'ms; heap', Math.round(process.memoryUsage().heapUsed / 2 ** 20), 'MiB');
await store.close();
