import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { WORKER_CONSUMER } from '../src/log/nats-log.js';
import { runLogWorker } from '../src/log/worker.js';
import { describeWith, serviceUrl } from './support/services.js';
import { tempDir } from './support/temp.js';

// Only collectors publish to the log, but a line that is not an event (another version's format, a message
// published by hand) used to fail its whole batch: redelivered, failed again, for ever, holding back every
// good event fetched with it.
describeWith('nats', 'the log worker', (natsUrl) => {
  const pgUrl = serviceUrl('postgres')!;
  it('stores the good events of a message and quarantines the lines that are not events', async () => {
    const tag = `lw${process.pid}${Date.now() % 100000}`;
    const config = parseConfig(
      `store: { engine: postgres, url: "${pgUrl}", schema: ${tag} }
log: { url: "${natsUrl}", stream: ${tag.toUpperCase()}, subject: ${tag}.events, ackWaitSeconds: 2 }
sources:
  web: { writeKeys: [wk_log_worker_test] }
`,
    );
    const runtime = await createRuntime(config, tempDir(), pino({ level: 'silent' }), 'work');
    const nc = await connect({ servers: natsUrl });
    let stop: (() => Promise<void>) | undefined;
    try {
      const event = (id: string) =>
        JSON.stringify({
          source: 'web',
          id,
          type: 'clicked',
          subject: null,
          time: Date.parse('2026-11-24T10:00:00Z'),
          data: '{"n":1}',
          receivedAt: Date.parse('2026-11-24T10:00:01Z'),
        });
      const js = jetstream(nc);
      await js.publish(
        `${tag}.events`,
        [
          event('good-1'),
          'this is not json',
          JSON.stringify({ source: 'web', id: 'no-type' }),
          event('good-2'),
        ].join('\n'),
      );
      await js.publish(
        `${tag}.events`,
        `${event('good-3')}\n${JSON.stringify({ ...JSON.parse(event('x')), time: 'soon' })}\n`,
      );
      stop = await runLogWorker(runtime, runtime.log!, runtime.committer);

      const jsm = await jetstreamManager(nc);
      let ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const rows = await runtime.store.query('SELECT id FROM events ORDER BY id');
        ids = rows.map((r) => String(r.id));
        const info = await jsm.consumers.info(tag.toUpperCase(), 'panoramix-workers');
        if (ids.length === 3 && info.num_ack_pending === 0 && info.num_pending === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(ids).toEqual(['good-1', 'good-2', 'good-3']);
      const held = await runtime.quarantine.list({});
      expect(held.map((h) => [h.source, h.reason, h.error]).sort()).toEqual(
        [
          ['unknown', 'unparseable', expect.stringContaining('not JSON')],
          ['web', 'unparseable', 'a log message line is not an event: type is not a string'],
          [
            'web',
            'unparseable',
            'a log message line is not an event: time is not an event time (epoch milliseconds)',
          ],
        ].sort(),
      );
      const info = await jsm.consumers.info(tag.toUpperCase(), 'panoramix-workers');
      expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    } finally {
      await stop?.();
      await (await jetstreamManager(nc)).streams.delete(tag.toUpperCase()).catch(() => false);
      await nc.drain();
      await runtime.close();
    }
  });
  // A NATS restarted without its data has neither the stream nor the consumer: the worker declares them again.
  it('declares its consumer again when it is gone, and goes on consuming', async () => {
    const tag = `lc${process.pid}${Date.now() % 100000}`;
    const config = parseConfig(
      `store: { engine: postgres, url: "${pgUrl}", schema: ${tag} }
log: { url: "${natsUrl}", stream: ${tag.toUpperCase()}, subject: ${tag}.events, ackWaitSeconds: 2 }
reconnect: { initial: 50ms, max: 500ms }
sources:
  web: { writeKeys: [wk_log_worker_test] }
`,
    );
    const runtime = await createRuntime(config, tempDir(), pino({ level: 'silent' }), 'work');
    const nc = await connect({ servers: natsUrl });
    const stop = await runLogWorker(runtime, runtime.log!, runtime.committer, config.reconnect);
    const publish = (id: string) =>
      runtime.log!.append([
        {
          source: 'web',
          id,
          type: 'clicked',
          subject: null,
          time: Date.now(),
          data: '{}',
          receivedAt: Date.now(),
        },
      ]);
    const stored = async (id: string) => {
      for (let i = 0; i < 150; i++) {
        if ((await runtime.store.query('SELECT 1 FROM events WHERE id = $1', [id])).length) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    try {
      await runtime.log!.whenUp();
      await publish('before');
      expect(await stored('before')).toBe(true);
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.delete(tag.toUpperCase(), WORKER_CONSUMER);
      await publish('after');
      expect(await stored('after')).toBe(true);
      expect((await jsm.consumers.info(tag.toUpperCase(), WORKER_CONSUMER)).name).toBe(WORKER_CONSUMER);
    } finally {
      await stop();
      await (await jetstreamManager(nc)).streams.delete(tag.toUpperCase()).catch(() => false);
      await nc.drain();
      await runtime.close();
    }
  });
});
