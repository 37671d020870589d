import path from 'node:path';
import { Command } from 'commander';
import type { NewEvent } from '../../core/event.js';
import { ordersGenerator } from '../../generate/orders.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { openProject } from '../project.js';
import { runServer } from '../run-server.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../../examples/orders/panoramix.yaml');

/** `panoramix demo`: the orders example with generated, recent-looking data, served until Ctrl-C. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('start the orders example (examples/orders) with generated order events, and serve it')
    .option('-n, --orders <n>', 'orders to generate', wholeNumber, 5000)
    .option('-s, --seed <seed>', 'random seed', wholeNumber, 42)
    .option('-p, --port <port>', 'port to listen on', wholeNumber, 8080)
    .action(async (opts: { orders: number; seed: number; port: number }) => {
      const logger = createLogger();
      const runtime = await openProject(EXAMPLE, logger);
      const { address } = await runServer(runtime, { host: '127.0.0.1', port: opts.port });
      // The generated history ends now, so the default report window (the last 15 minutes) has data.
      const raw = [...ordersGenerator.generate({ count: opts.orders, seed: opts.seed, start: 0 })];
      const last = Date.parse(String(raw.at(-1)?.timestamp ?? new Date(0).toISOString()));
      const shift = Date.now() - last;
      const read = runtime.ingest.readerFor('orders');
      const events: NewEvent[] = [];
      for (const e of raw) {
        const r = read(
          { ...e, timestamp: new Date(Date.parse(String(e.timestamp)) + shift).toISOString() },
          'orders',
          Date.now(),
        );
        if (r.ok) events.push(r.event);
      }
      let stored = 0;
      for (let i = 0; i < events.length; i += 5000)
        stored += (await runtime.committer.submit(events.slice(i, i + 5000))).stored.length;
      const key = runtime.config.sources.orders?.writeKeys[0] ?? '';
      const token = runtime.config.server.readTokens[0]?.token ?? '';
      const admin = runtime.config.server.adminTokens[0]?.token ?? '';
      process.stdout.write(
        [
          '',
          `Panoramix demo: ${stored} new order events stored (${events.length - stored} were already there).`,
          `  dashboard  ${address}/  (sign in with ${token} to read, ${admin} to also run and rebuild)`,
          `  status     curl -s ${address}/status`,
          `  events     curl -s -H 'authorization: Bearer ${token}' '${address}/v1/events?type=order_fulfilled&limit=3'`,
          `  admin      curl -s -X POST -H 'authorization: Bearer ${admin}' ${address}/v1/projections/orders/rebuild`,
          `  send one   curl -s -X POST ${address}/v1/events -H 'authorization: Bearer ${key}' -H 'content-type: application/json' \\`,
          `               -d '{"id":"evt-demo-1","type":"order_accepted","timestamp":"${new Date().toISOString()}","aggregate_id":"order-42-1","data":{}}'`,
          'Stop with Ctrl-C (the queue is drained first).',
          '',
        ].join('\n'),
      );
    });
}
