import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { exited, spawnCli } from './support/process.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

describeWith('postgres', 'panoramix batch', (pgUrl) => {
  it('runs exactly one leader, and another takes over when it dies', async () => {
    const dir = tempDir();
    const cfg = path.join(dir, 'panoramix.yaml');
    fs.writeFileSync(cfg, `store: { engine: postgres, url: "${pgUrl}", schema: bl${process.pid} }\n`);
    const leaders = () => all.filter((c) => c.output().includes('became the batch leader'));
    const all = [
      spawnCli(['batch', '--config', cfg, '--poll', '200']),
      spawnCli(['batch', '--config', cfg, '--poll', '200']),
    ];
    try {
      const until = Date.now() + 20_000;
      while (leaders().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1000));
      expect(leaders()).toHaveLength(1);
      const first = leaders()[0]!;
      first.kill('SIGKILL');
      await exited(first);
      const other = all.find((c) => c !== first)!;
      const until2 = Date.now() + 20_000;
      while (!other.output().includes('became the batch leader') && Date.now() < until2)
        await new Promise((r) => setTimeout(r, 100));
      expect(other.output()).toContain('became the batch leader');
    } finally {
      for (const c of all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      for (const c of all) await exited(c);
    }
  });
});
