import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { Runtime } from '../src/runtime.js';
import { startServices } from '../src/services.js';
import { AUTH, appOf, FORGET_YAML, seedEverywhere, U42_COUNTS } from './support/forget-scenario.js';
import { runtimeFactories } from './support/runtimes.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

const until = async (what: string, ok: () => Promise<boolean>, ms = 10_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
};

// Server mode: a collector (serve) records the request, the batch leader carries it out, and the collector
// refuses the subject once it has re-read the suppression list.
describeWith('postgres', 'erasure across processes', () => {
  it('a request made at a collector is carried out by the batch leader and suppressed at the collector', async () => {
    const factory = runtimeFactories().find((f) => f.name === 'postgres')!;
    const dir = tempDir();
    const config = parseConfig(`${factory.storeYaml(dir)}\n${FORGET_YAML}`);
    const open = (role: 'all' | 'serve' | 'batch') =>
      createRuntime(config, dir, pino({ level: 'silent' }), role);
    const runtimes: Runtime[] = [];
    try {
      const seeding = await open('all');
      await seedEverywhere(seeding);
      await seeding.close();
      const collector = await open('serve');
      runtimes.push(collector);
      await startServices(collector);
      const app = await appOf(collector);
      const posted = await app.inject({ method: 'POST', url: '/v1/deletions', payload: { subject: 'u-42' } });
      expect(posted.statusCode, posted.body).toBe(202);
      const status = async () => (await app.inject({ url: `/v1/deletions/${posted.json().id}` })).json();
      await new Promise((r) => setTimeout(r, 400));
      expect((await status()).status).toBe('pending'); // collectors record, they do not carry out

      const leader = await open('batch');
      runtimes.push(leader);
      await startServices(leader);
      await until('the leader to finish', async () => (await status()).status === 'done');
      expect((await status()).counts).toEqual({ ...U42_COUNTS, audit_log: 1 });
      const send = () =>
        app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: AUTH,
          payload: { id: `late-${Math.random()}`, type: 'signup', subject: 'u-42' },
        });
      // The leader waited for the collectors to re-read the list before removing the events: refused at once,
      // and nothing of u-42 was stored after its events went.
      const late = await send();
      expect(late.statusCode).toBe(400);
      expect(late.json().rejected[0]).toMatchObject({ field: 'subject' });
      expect(await collector.store.query("SELECT id FROM events WHERE subject = 'u-42'")).toEqual([]);
    } finally {
      for (const r of runtimes.reverse()) await r.close();
    }
  });
});
