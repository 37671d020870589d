import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { startServices } from '../src/services.js';
import { BROKERS, type Broker } from './support/brokers.js';
import { exited, freePort, spawnCli, waitForHttp } from './support/process.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

// One contract, every broker: what passes is stored once, the rest is quarantined, counted exactly.
for (const [name, make] of Object.entries(BROKERS) as [keyof typeof BROKERS, (url: string) => Broker][]) {
  describeWith(name, `${name} source`, (url) => {
    it('stores what passes once, quarantines the rest, and counts every message', async () => {
      const broker = make(url);
      const dir = tempDir();
      const tag = `pmx${name}${process.pid}${Date.now() % 100000}`;
      const pub = await broker.publisher(tag);
      const runtime = await createRuntime(
        parseConfig(`
store: { path: ${dir}/store.duckdb }
sources:
  shop:
    ${broker.block(tag)}
    cloudevents: { sources: ["urn:shop:"] }
schemas:
  unknownTypes: quarantine
  types:
    order_placed: { schema: { type: object, required: [amount] } }
`),
        dir,
        pino({ level: 'silent' }),
      );
      try {
        await startServices(runtime);
        // The start does not wait for brokers; an MQTT broker keeps messages only for a subscribed session.
        const up = Date.now() + 10_000;
        while (!(await runtime.health.report()).ok && Date.now() < up)
          await new Promise((r) => setTimeout(r, 20));
        for (let i = 0; i < 40; i++)
          await pub.send(JSON.stringify({ id: `o${i}`, type: 'order_placed', data: { amount: i } }));
        await pub.send(JSON.stringify({ id: 'o0', type: 'order_placed', data: { amount: 0 } })); // a redelivery
        await pub.send('{not json');
        await pub.send(JSON.stringify({ id: 'bad', type: 'order_placed', data: {} }));
        await pub.send(JSON.stringify({ id: 'odd', type: 'teleported', data: {} }));
        await pub.send(
          JSON.stringify({ id: 'alien', type: 'order_placed', source: 'elsewhere', data: { amount: 1 } }),
        );
        await pub.send(JSON.stringify({ type: 'order_placed', data: { amount: 1 } }));
        const until = Date.now() + 20_000;
        let n = 0;
        let held = 0;
        while (Date.now() < until) {
          n = ((await runtime.store.query('SELECT count(*) AS n FROM events')) as [{ n: number }])[0].n;
          held = Object.values(await runtime.quarantine.heldByReason()).reduce((a, b) => a + b, 0);
          if (n === 40 && held === 5) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(n).toBe(40);
        expect(await runtime.quarantine.heldByReason()).toEqual({
          envelope: 1,
          forbidden: 1,
          schema: 1,
          unknown_type: 1,
          unparseable: 1,
        });
        const status = (await runtime.store.query('SELECT count(DISTINCT id) AS d FROM events')) as [
          { d: number },
        ];
        expect(status[0].d).toBe(40);
      } finally {
        await runtime.close();
        await pub.close();
      }
    });

    it('loses and duplicates nothing when the consuming process is SIGKILLed mid-stream', {
      timeout: 180_000,
    }, async () => {
      const broker = make(url);
      const dir = tempDir();
      const tag = `pmxk${name}${process.pid}${Date.now() % 100000}`;
      const pub = await broker.publisher(tag);
      const port = await freePort();
      const cfg = path.join(dir, 'panoramix.yaml');
      fs.writeFileSync(
        cfg,
        `store: { path: ./store.duckdb }\nserver: { port: ${port} }\nsources:\n  shop:\n    ${broker.block(tag)}\n`,
      );
      const stats = async () =>
        (
          (await (await fetch(`http://127.0.0.1:${port}/api/q/stats`)).json()) as {
            store: { lastSeq: number };
          }
        ).store.lastSeq;
      let proc = spawnCli(['start', '--config', cfg]);
      try {
        await waitForHttp(`http://127.0.0.1:${port}/status`, proc);
        // MQTT delivers one message at a time while its PUBACK is held (see docs/sources.md), and Mosquitto drops
        // QoS 1 messages queued beyond max_queued_messages (1,000 by default): the MQTT run is smaller.
        const total = name === 'mqtt' ? 300 : 3000;
        for (let i = 0; i < total; i++)
          await pub.send(JSON.stringify({ id: `m${i}`, type: 'tick', data: { i } }));
        const started = Date.now() + 30_000;
        while ((await stats()) < total / 3 && Date.now() < started)
          await new Promise((r) => setTimeout(r, 20));
        proc.kill('SIGKILL');
        await exited(proc);
        proc = spawnCli(['start', '--config', cfg]);
        await waitForHttp(`http://127.0.0.1:${port}/status`, proc);
        const until = Date.now() + 60_000;
        while ((await stats()) < total && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        // Redelivered messages are duplicates of stored events: the last seq equals the distinct count.
        expect(await stats()).toBe(total);
        await new Promise((r) => setTimeout(r, 500));
        expect(await stats()).toBe(total);
      } finally {
        proc.kill('SIGTERM');
        await exited(proc);
        await pub.close();
      }
    });
  });
}
