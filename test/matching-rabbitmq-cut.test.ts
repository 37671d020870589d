import amqp from 'amqplib';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { generateTransactions, loyaltyWorld } from '../src/generate/transactions.js';
import { matchingOf } from '../src/match/service.js';
import { createApp } from '../src/serve/app.js';
import { startServices } from '../src/services.js';
import { describeWith } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWith('rabbitmq', 'matching export through a cut RabbitMQ connection', (url) => {
  it('exports every match exactly once when RabbitMQ is cut for 3 s mid-export', {
    timeout: 40_000,
  }, async () => {
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5672));
    const dir = tempDir();
    const prefix = `pmx.cut${process.pid}x${Date.now() % 1e7}`;
    const exportQueue = `${prefix}.out`;
    const runtime = await createRuntime(
      parseConfig(`store: { path: ${dir}/store.duckdb }
matching:
  providers: { visa: {}, mastercard: {}, amex: {} }
  schemes: { iceland: {}, wasabi: {} }
  rabbitmq: { url: "${proxy.url(url)}", prefix: ${prefix} }
  # Small export batches, so the cut lands between batches and inside one.
  export: { queue: ${exportQueue}, batch: 10 }
`),
      dir,
      pino({ level: 'silent' }),
    );
    const app = await createApp(runtime);
    // The test's own connection goes straight to RabbitMQ: it feeds the imports and reads the exports.
    const conn = await amqp.connect(url);
    try {
      const m = (await matchingOf(runtime))!;
      const N = 600;
      await m.reference.addMerchants(loyaltyWorld(N, 5).merchants);
      const txs = [
        ...generateTransactions({ count: N, seed: 5, start: Date.parse('2026-11-01T00:00:00Z'), decoys: 0 }),
      ];
      const purchases = new Map<number, number>();
      for (const t of txs) purchases.set(t.purchase, (purchases.get(t.purchase) ?? 0) + 1);
      const pairs = [...purchases.values()].filter((n) => n === 2).length;

      const received: number[] = [];
      const consumer = await conn.createChannel();
      await consumer.assertQueue(exportQueue, { durable: true });
      await consumer.consume(exportQueue, (msg) => {
        if (!msg) return;
        received.push(JSON.parse(msg.content.toString()).matched_transaction_id);
        consumer.ack(msg);
      });

      await startServices(runtime);
      const ch = await conn.createConfirmChannel();
      const send = async (queue: string, bodies: unknown[]) => {
        await ch.assertQueue(queue, { durable: true });
        for (const b of bodies) ch.sendToQueue(queue, Buffer.from(JSON.stringify(b)), { persistent: true });
        await ch.waitForConfirms();
      };
      await send(
        `${prefix}.import.payment`,
        txs.filter((t) => t.side === 'payment').map((t) => ({ provider: t.owner, ...t.record })),
      );
      await send(
        `${prefix}.import.scheme`,
        txs.filter((t) => t.side === 'scheme').map((t) => ({ scheme: t.owner, ...t.record })),
      );

      const t0 = Date.now();
      while (received.length === 0 && Date.now() - t0 < 20_000) await sleep(5);
      proxy.cut();
      const atCut = received.length;
      const statusDuring = await app.inject({ method: 'GET', url: '/status' });
      await sleep(3000);
      proxy.heal();

      const deadline = Date.now() + 25_000;
      let counts: Record<string, number> = {};
      while (Date.now() < deadline) {
        counts = await m.exporter.counts();
        if (counts.EXPORTED === pairs && received.length >= pairs) break;
        await sleep(100);
      }
      await sleep(500); // anything published twice would arrive by now
      expect(atCut).toBeGreaterThan(0);
      expect(atCut).toBeLessThan(pairs); // the cut did land mid-export
      expect(statusDuring.statusCode).toBe(503);
      expect(statusDuring.body).toContain('matching (rabbitmq)');
      expect(counts).toEqual({ EXPORTED: pairs });
      expect(received.length).toBe(pairs);
      expect(new Set(received).size).toBe(pairs);
      const afterRes = await app.inject({ method: 'GET', url: '/status' });
      // Healthy again as a whole: no part keeps an error from the cut.
      expect(afterRes.statusCode, afterRes.body).toBe(200);
      const after = afterRes.json() as {
        checks: { name: string; ok: boolean; reconnects?: number }[];
      };
      const rabbit = after.checks.find((c) => c.name === 'matching (rabbitmq)');
      expect(rabbit).toMatchObject({ ok: true, status: 'up', reconnects: 1 });
    } finally {
      await runtime.close();
      const ch = await conn.createChannel();
      for (const q of ['import.payment', 'import.scheme', 'jobs', 'out', 'export.ledger'])
        await ch.deleteQueue(`${prefix}.${q}`).catch(() => undefined);
      await ch.deleteExchange(`${prefix}.export`).catch(() => undefined);
      await conn.close();
      await proxy.close();
    }
  });
});
