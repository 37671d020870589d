import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { destinationsOf } from '../src/destinations/service.js';
import { startServices } from '../src/services.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { until, webEvent } from './support/destinations.js';
import { startReceiver } from './support/receiver.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

describeWith('postgres', 'destinations in server mode', (url) => {
  it('the batch role delivers what another process stored, found by polling; other roles deliver nothing', async () => {
    const r = await startReceiver();
    const schema = `ds_${process.pid}_${Date.now()}`;
    const yaml = `store: { engine: postgres, url: "${url}", schema: ${schema} }
sources: { web: {} }
destinations:
  hook:
    webhook: { url: "${r.url}" }
    batch: { count: 100, wait: 10ms }
    poll: 100ms
`;
    const open = (role: 'batch' | 'work') =>
      createRuntime(parseConfig(yaml), tempDir(), pino({ level: 'silent' }), role);
    const worker = await open('work');
    const leader = await open('batch');
    const writer = await PostgresStore.open({ url, schema });
    try {
      await startServices(worker);
      await startServices(leader);
      // The batch role starts its features once it holds the leader lock.
      await until('the leader', async () => ((await destinationsOf(leader))?.loops.size ?? 0) > 0);
      // Another process's commit: nothing in the leader hears of it, its loop finds it at the next poll.
      await writer.append([webEvent('1'), webEvent('2')]);
      await until('the delivery', () => r.delivered().length === 2);
      await writer.append([webEvent('3')]);
      await until('the next one', () => r.delivered().length === 3);
      await new Promise((res) => setTimeout(res, 400)); // a second deliverer (the worker) would show by now
      expect(r.delivered().map((e) => e.id)).toEqual(['1', '2', '3']);
      expect(r.requests.every((q) => q.status === 200)).toBe(true);
    } finally {
      await leader.close();
      await worker.close();
      await writer.close();
      await r.close();
    }
  });
});
