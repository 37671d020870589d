import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { Forget } from '../src/forget/service.js';
import { startServices } from '../src/services.js';
import { BROKERS, type Broker } from './support/brokers.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

// A broker cannot be answered with an error: an erased subject's messages are acknowledged and dropped,
// neither stored nor held in quarantine with their bytes.
for (const [name, make] of Object.entries(BROKERS) as [keyof typeof BROKERS, (url: string) => Broker][]) {
  describeWith(name, `erasure and the ${name} source`, (url) => {
    it("drops an erased subject's messages, even malformed ones, and stores the others", async () => {
      const broker = make(url);
      const dir = tempDir();
      const tag = `pmxf${name}${process.pid}${Date.now() % 100000}`;
      const pub = await broker.publisher(tag);
      const runtime = await createRuntime(
        parseConfig(`store: { path: ${dir}/store.duckdb }\nsources:\n  shop:\n    ${broker.block(tag)}\n`),
        dir,
        pino({ level: 'silent' }),
      );
      try {
        const f = await Forget.of(runtime);
        await f.suppression.add(await f.ledger.create({ subject: 'u-42', suppress: true }));
        await startServices(runtime);
        const up = Date.now() + 10_000;
        while (!(await runtime.health.report()).ok && Date.now() < up)
          await new Promise((r) => setTimeout(r, 20));
        await pub.send(JSON.stringify({ id: 'a', type: 'clicked', subject: 'u-42' }));
        await pub.send(JSON.stringify({ id: 'b', subject: 'u-42' })); // no type: would be quarantined
        await pub.send(JSON.stringify({ id: 'c', type: 'clicked' })); // no subject at all: stored
        await pub.send(JSON.stringify({ id: 'd', subject: 'u-7' })); // no type, another subject: quarantined
        const until = Date.now() + 20_000;
        let ids: unknown[] = [];
        while (Date.now() < until) {
          ids = (await runtime.store.query('SELECT id FROM events ORDER BY id')).map((r) => r.id);
          const held = Object.values(await runtime.quarantine.heldByReason()).reduce((a, b) => a + b, 0);
          if (ids.length === 1 && held === 1) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(ids).toEqual(['c']);
        const held = await runtime.quarantine.list({});
        expect(held.map((h) => h.raw)).toEqual([JSON.stringify({ id: 'd', subject: 'u-7' })]);
      } finally {
        await runtime.close();
        await pub.close();
      }
    });
  });
}
