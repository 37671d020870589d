import amqp from 'amqplib';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { createRuntime } from '../src/runtime.js';
import { startServices } from '../src/services.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

describeWith('rabbitmq', 'RabbitMQ source', (url) => {
  it('stores what passes, quarantines the rest, and acknowledges only after both are durable', async () => {
    const dir = tempDir();
    const queue = `pmx-test-${process.pid}-${Date.now()}`;
    const runtime = await createRuntime(
      parseConfig(`
store: { path: ${dir}/store.duckdb }
sources:
  shop:
    rabbitmq: { url: "${url}", queue: ${queue}, prefetch: 50, batchMs: 20 }
schemas:
  unknownTypes: quarantine
  types:
    order_placed: { schema: { type: object, required: [amount] } }
`),
      dir,
      pino({ level: 'silent' }),
    );
    await startServices(runtime);
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    const send = (body: string) => ch.sendToQueue(queue, Buffer.from(body), { persistent: true });
    for (let i = 0; i < 40; i++)
      send(JSON.stringify({ id: `o${i}`, type: 'order_placed', data: { amount: i } }));
    send(JSON.stringify({ id: 'o0', type: 'order_placed', data: { amount: 0 } })); // a redelivery: stored once
    send('{not json');
    send(JSON.stringify({ id: 'bad', type: 'order_placed', data: {} }));
    send(JSON.stringify({ id: 'odd', type: 'teleported', data: {} }));
    send(JSON.stringify({ id: 'alien', type: 'order_placed', source: 'elsewhere', data: { amount: 1 } }));
    send(JSON.stringify({ type: 'order_placed', data: { amount: 1 } }));
    const until = Date.now() + 20_000;
    for (;;) {
      const q = await ch.checkQueue(queue);
      const held = Object.values(await runtime.quarantine.heldByReason()).reduce((a, b) => a + b, 0);
      const [{ n }] = (await runtime.store.query('SELECT count(*) AS n FROM events')) as [{ n: number }];
      if ((q.messageCount === 0 && n === 40 && held === 5) || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [{ n }] = (await runtime.store.query('SELECT count(*) AS n FROM events')) as [{ n: number }];
    expect(n).toBe(40);
    expect(await runtime.quarantine.heldByReason()).toEqual({
      envelope: 1,
      forbidden: 1,
      schema: 1,
      unknown_type: 1,
      unparseable: 1,
    });
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    await ch.deleteQueue(queue);
    await conn.close();
    await runtime.close();
  });
});
