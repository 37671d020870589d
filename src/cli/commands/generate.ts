import fs from 'node:fs';
import { Command } from 'commander';
import { GENERATORS } from '../../generate/index.js';
import { wholeNumber } from '../arguments.js';
import { fail } from '../project.js';

/** `panoramix generate KIND`: reproducible random events as NDJSON, for demos, tests and benchmarks. */
export function generateCommand(): Command {
  return new Command('generate')
    .description(`write reproducible random events as NDJSON (kinds: ${Object.keys(GENERATORS).join(', ')})`)
    .argument('<kind>', 'what to generate')
    .option('-n, --count <n>', 'how many orders, messages or transactions', wholeNumber, 1000)
    .option('-s, --seed <seed>', 'random seed: the same seed gives the same events', wholeNumber, 1)
    .option('--start <time>', 'time of the first event (ISO); default: --count × ~4 s before now')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (kind: string, opts: { count: number; seed: number; start?: string; out?: string }) => {
      const gen = GENERATORS[kind];
      if (!gen) fail(`unknown kind "${kind}"; choose one of ${Object.keys(GENERATORS).join(', ')}`);
      if (!Number.isInteger(opts.count) || opts.count < 0) fail('--count must be a whole number');
      if (!Number.isInteger(opts.seed)) fail('--seed must be a whole number');
      const start = opts.start ? Date.parse(opts.start) : Date.now() - opts.count * 4000 - 3_600_000;
      if (Number.isNaN(start)) fail(`--start must be an ISO time, not ${opts.start}`);
      const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
      let buf = '';
      let n = 0;
      for (const e of gen.generate({ count: opts.count, seed: opts.seed, start })) {
        buf += JSON.stringify(e) + '\n';
        n++;
        if (buf.length > 1 << 16) {
          if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
          buf = '';
        }
      }
      out.write(buf);
      if (opts.out) {
        await new Promise((r) => (out as fs.WriteStream).end(r));
        process.stderr.write(`wrote ${n} events to ${opts.out}\n`);
      }
    });
}
