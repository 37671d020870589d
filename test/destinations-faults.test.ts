import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { destinationsOf } from '../src/destinations/service.js';
import { startServices } from '../src/services.js';
import { startReceiver } from './support/receiver.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a webhook link that fails', () => {
  it('retries refused connections and a request that times out, then delivers once', async () => {
    const r = await startReceiver((i) => (i === 0 ? 'hang' : { status: 200 }));
    const port = Number(new URL(r.url).port);
    const proxy = await startTcpProxy('127.0.0.1', port);
    proxy.cut(); // connections are refused until healed
    const dir = tempDir();
    const runtime = await createRuntime(
      parseConfig(`store: { path: ${path.join(dir, 'store.duckdb')} }
sources: { web: {} }
destinations:
  hook:
    webhook: { url: "http://127.0.0.1:${proxy.port}/hook", timeout: 1s }
    batch: { count: 10, wait: 10ms }
    retry: { initial: 50ms, max: 100ms }
`),
      dir,
      pino({ level: 'silent' }),
    );
    try {
      await startServices(runtime);
      const admin = (await destinationsOf(runtime))!.admin;
      await runtime.committer.submit([
        {
          source: 'web',
          id: '1',
          type: 't',
          subject: null,
          time: Date.now(),
          data: '{}',
          receivedAt: Date.now(),
        },
      ]);
      // Retried, each time a connection error (on a loaded machine an attempt may time out first).
      await until('a refused connection', async () =>
        /fetch failed|ECONNRESET|socket/i.test((await admin.list())[0]!.lastError ?? ''),
      );
      proxy.heal();
      await until('the hung request', () => r.requests.length === 1);
      await until('the delivery after the timeout', () => r.delivered().length === 1);
      expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(990); // the 1 s timeout
      await until('the cursor', async () => (await admin.list())[0]!.lagEvents === 0);
      const [view] = await admin.list();
      expect(view).toMatchObject({ lagEvents: 0, failingSince: null, lastStatus: 200, lastError: null });
      const metrics = await runtime.telemetry.registry.metrics();
      expect(metrics).toMatch(/panoramix_destination_failed_total\{destination="hook"} ([2-9]|\d\d+)/);
      expect(metrics).toContain('panoramix_destination_delivered_total{destination="hook"} 1');
    } finally {
      await runtime.close();
      await proxy.close();
      await r.close();
    }
  });
});
