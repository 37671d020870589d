import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { Forget } from '../src/forget/service.js';
import { runLogWorker } from '../src/log/worker.js';
import { describeWith, serviceUrl } from './support/services.js';
import { tempDir } from './support/temp.js';

// Events a collector put in the log before their subject was erased are not stored by a worker afterwards.
describeWith('nats', 'erasure and the log', (natsUrl) => {
  const pgUrl = serviceUrl('postgres')!;
  it("drops an erased subject's events still in the log, and stores the others", async () => {
    const tag = `fl${process.pid}${Date.now() % 100000}`;
    const config = parseConfig(
      `store: { engine: postgres, url: "${pgUrl}", schema: ${tag} }
log: { url: "${natsUrl}", stream: ${tag.toUpperCase()}, subject: ${tag}.events, ackWaitSeconds: 2 }
sources:
  web: { writeKeys: [wk_forget_log_test] }
`,
    );
    const runtime = await createRuntime(config, tempDir(), pino({ level: 'silent' }), 'work');
    const nc = await connect({ servers: natsUrl });
    let stop: (() => Promise<void>) | undefined;
    try {
      const f = await Forget.of(runtime);
      await f.suppression.add(await f.ledger.create({ subject: 'u-42', suppress: true }));
      const event = (id: string, subject: string) =>
        JSON.stringify({
          source: 'web',
          id,
          type: 'clicked',
          subject,
          time: Date.parse('2026-11-24T10:00:00Z'),
          data: '{}',
          receivedAt: Date.parse('2026-11-24T10:00:01Z'),
        });
      const js = jetstream(nc);
      await js.publish(
        `${tag}.events`,
        [event('a', 'u-42'), event('b', 'u-7'), event('c', 'u-42')].join('\n'),
      );
      stop = await runLogWorker(runtime, runtime.log!, runtime.committer);
      const jsm = await jetstreamManager(nc);
      for (let i = 0; i < 100; i++) {
        const info = await jsm.consumers.info(tag.toUpperCase(), 'panoramix-workers');
        if (info.num_ack_pending === 0 && info.num_pending === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const rows = await runtime.store.query('SELECT id, subject FROM events ORDER BY id');
      expect(rows).toEqual([{ id: 'b', subject: 'u-7' }]);
      await jsm.streams.delete(tag.toUpperCase());
    } finally {
      await stop?.();
      await nc.close();
      await runtime.close();
    }
  });
});
