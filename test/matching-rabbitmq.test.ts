import { writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { afterAll, expect, it } from 'vitest';
import { generateTransactions, loyaltyWorld } from '../src/generate/transactions.js';
import { exited, freePort, spawnCli, waitForHttp } from './support/process.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

describeWith('rabbitmq', 'matching through RabbitMQ (import queues → worker → export queue)', (url) => {
  const children: ReturnType<typeof spawnCli>[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('exports every match exactly once although the process is SIGKILLed between publishing and recording', {
    timeout: 180_000,
  }, async () => {
    const dir = tempDir();
    const port = await freePort();
    const tag = `t${process.pid}x${Date.now() % 1e7}`;
    const prefix = `pmx.${tag}`;
    const exportQueue = `${prefix}.out`;
    const file = path.join(dir, 'panoramix.yaml');
    writeFileSync(
      file,
      `store: { path: ./store.duckdb }
server: { port: ${port} }
matching:
  providers: { visa: {}, mastercard: {}, amex: {} }
  schemes: { iceland: {}, wasabi: {} }
  rabbitmq: { url: "${url}", prefix: ${prefix} }
  # Small export batches, so the kill lands between publishing and recording some of them.
  export: { queue: ${exportQueue}, batch: 20 }
`,
    );
    const base = `http://127.0.0.1:${port}`;
    const start = (env: NodeJS.ProcessEnv = {}) => {
      const c = spawnCli(['start', '-c', file], env);
      children.push(c);
      return c;
    };
    // The first process dies by SIGKILL right after its first export batch is published, before it records it.
    let child = start({ PANORAMIX_FAILPOINT: 'match.export.published' });
    await waitForHttp(`${base}/v1/match/summary`, child);

    // Reference data, then the transactions of 1500 purchases on the import queues, some sent twice.
    const N = 1500;
    const world = loyaltyWorld(N, 3);
    const added = await fetch(`${base}/v1/match/merchants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(world.merchants),
    });
    expect(added.status).toBe(201);
    const txs = [
      ...generateTransactions({ count: N, seed: 3, start: Date.parse('2026-11-01T00:00:00Z'), decoys: 0 }),
    ];
    const bySide = (side: string) => txs.filter((t) => t.side === side);
    const purchases = new Map<number, number>();
    for (const t of txs) purchases.set(t.purchase, (purchases.get(t.purchase) ?? 0) + 1);
    const pairs = [...purchases.values()].filter((n) => n === 2).length;

    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    const send = async (queue: string, bodies: unknown[]) => {
      await ch.assertQueue(queue, { durable: true });
      for (const b of bodies)
        ch.sendToQueue(queue, Buffer.from(typeof b === 'string' ? b : JSON.stringify(b)), {
          persistent: true,
        });
      await ch.waitForConfirms();
    };
    const payments = bySide('payment').map((t) => ({ provider: t.owner, ...t.record }));
    const schemes = bySide('scheme').map((t) => ({ scheme: t.owner, ...t.record }));
    await send(`${prefix}.import.payment`, [
      ...payments,
      ...payments.slice(0, 50), // delivered twice: stored once
      {
        provider: 'visa',
        transaction_id: 'unknown-mid',
        merchant_id: 'nowhere',
        time: '2026-11-02T10:00:00',
        amount: '1.00',
        currency: 'GBP',
      },
      'not json at all',
    ]);
    // Ten in one message (an array), the rest one per message.
    await send(`${prefix}.import.scheme`, [schemes.slice(0, 10), ...schemes.slice(10)]);

    // Read the export queue as a downstream consumer would.
    const received: number[] = [];
    const consumer = await conn.createChannel();
    await consumer.assertQueue(exportQueue, { durable: true });
    await consumer.consume(exportQueue, (msg) => {
      if (!msg) return;
      received.push(JSON.parse(msg.content.toString()).matched_transaction_id);
      consumer.ack(msg);
    });

    expect(await exited(child), child.output()).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const atKill = received.length;
    // The first batch (up to 20; fewer if the first pass matched fewer) was published, never recorded.
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThanOrEqual(20);

    child = start();
    await waitForHttp(`${base}/v1/match/summary`, child);
    let summary: { totals: { payment: Record<string, number> }; exports: Record<string, number> } | undefined;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      summary = await (await fetch(`${base}/v1/match/summary`)).json();
      const matched = summary!.totals.payment.matched ?? 0;
      if (matched === pairs && summary!.exports.EXPORTED === matched && received.length >= matched) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 500)); // anything published twice would arrive by now
    expect(summary!.totals.payment.matched, child.output()).toBe(pairs);
    expect(summary!.exports).toEqual({ EXPORTED: pairs });
    expect(atKill).toBeLessThan(pairs); // the crash did land mid-export
    expect(received.length).toBe(pairs);
    expect(new Set(received).size).toBe(pairs);
    // The duplicate deliveries were stored once, the unknown merchant kept, the unreadable message quarantined.
    expect(summary!.totals.payment.unknown_merchant).toBe(1);
    const q = await (await fetch(`${base}/v1/quarantine`)).json();
    expect(JSON.stringify(q)).toContain('not json at all');
    const status = await (await fetch(`${base}/status`)).json();
    expect(JSON.stringify(status)).toContain('exporter');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(`panoramix_match_exports{status="EXPORTED"} ${pairs}`);
    expect(metrics).toContain(`panoramix_match_transactions{side="payment",status="matched"} ${pairs}`);

    await conn.close();
    child.kill('SIGTERM');
    await exited(child);
  });
});
