import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestLedger } from '../src/forget/request-ledger.js';
import { Forget } from '../src/forget/service.js';
import type { Runtime } from '../src/runtime.js';
import { everything, FORGET_YAML, seedEverywhere, U42_COUNTS } from './support/forget-scenario.js';
import { exited, spawnCli } from './support/process.js';
import { runtimeFactories } from './support/runtimes.js';

// `panoramix forget` (the built CLI) killed by SIGKILL right after the events went, and again before it is
// done, then run again.
for (const factory of runtimeFactories()) {
  describe(`erasure after a crash: ${factory.name}`, () => {
    const open: Runtime[] = [];
    afterEach(async () => {
      for (const r of open.splice(0)) await r.close().catch(() => undefined);
    });

    it('a SIGKILL mid-deletion, then a rerun, ends as an uninterrupted erasure does, with the same audit', async () => {
      // The reference: the same project erased without interruption.
      const ref = await factory.create(FORGET_YAML);
      open.push(ref.runtime);
      await seedEverywhere(ref.runtime);
      await (await Forget.of(ref.runtime)).runToEnd({ subject: 'u-42', suppress: true });
      const expected = await everything(ref.runtime, ref.dir);

      const { runtime, dir, reopen } = await factory.create(FORGET_YAML);
      await seedEverywhere(runtime);
      await runtime.close();
      const file = path.join(dir, 'panoramix.yaml');
      fs.writeFileSync(file, `${factory.storeYaml(dir)}\n${FORGET_YAML}`);
      const args = ['forget', '--subject', 'u-42', '-c', file];

      const killed = spawnCli(args, { PANORAMIX_FAILPOINT: 'forget.after-events' });
      expect(await exited(killed), killed.output()).toBe('SIGKILL');
      const half = await reopen();
      const [pending] = await new RequestLedger(half.store).unfinished();
      expect(pending).toMatchObject({ status: 'running', counts: U42_COUNTS, doneSteps: ['suppression'] });
      expect((await everything(half, dir)).quarantine).toContain('u-42'); // not reached yet
      await half.close();

      // Killed again after every place is emptied, before the store's rewrite and `done`: the subject's text
      // is already out of the record, and the last run finishes from there.
      const again = spawnCli(args, { PANORAMIX_FAILPOINT: 'forget.before-done' });
      expect(await exited(again), again.output()).toBe('SIGKILL');
      const late = await reopen();
      const [emptied] = await new RequestLedger(late.store).unfinished();
      expect(emptied).toMatchObject({
        id: pending!.id,
        status: 'running',
        subject: null,
        counts: U42_COUNTS,
      });
      await late.close();

      const rerun = spawnCli(args);
      expect(await exited(rerun), rerun.output()).toBe(0);
      const record = JSON.parse(rerun.output());
      expect(record).toMatchObject({ id: pending!.id, status: 'done', subject: null, counts: U42_COUNTS });
      const done = await reopen();
      open.push(done);
      expect(await new RequestLedger(done.store).unfinished()).toEqual([]);
      expect(await everything(done, dir)).toEqual(expected);
    });
  });
}
