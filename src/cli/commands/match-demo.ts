import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { writeDemoFiles } from '../../match/demo-files.js';
import type { Side } from '../../match/transaction.js';
import { wholeNumber } from '../arguments.js';
import { CONFIG_OPTION, fail, loadProject } from '../project.js';
import { printTotals, withMatching } from '../with-matching.js';

/** `panoramix match generate|demo`: the generated loyalty programme, and the end-to-end run over it. */
export function demoCommands(cmd: Command): void {
  cmd
    .command('generate')
    .description(
      'write a generated loyalty programme: merchants.csv and provider/scheme files in their own columns',
    )
    .requiredOption('-o, --out <dir>', 'directory (laid out as an import directory)')
    .option('-n, --count <n>', 'purchases', wholeNumber, 2000)
    .option('--seed <n>', 'seed (the same seed writes the same files)', wholeNumber, 7)
    .option('--start <date>', 'first day of the purchases', '2026-11-01')
    .option(...CONFIG_OPTION)
    .action(async (o: { out: string; count: number; seed: number; start: string; config: string }) => {
      const { config } = loadProject(o.config);
      if (!config.matching) fail('matching is not configured: add a matching: section to the project file');
      const r = await writeDemoFiles(o.out, config.matching, {
        count: o.count,
        seed: o.seed,
        start: Date.parse(`${o.start}T00:00:00Z`),
      });
      process.stdout.write(`${r.merchants}\n${r.files.join('\n')}\n`);
    });
  cmd
    .command('demo')
    .description(
      "the end-to-end run (Harmonia's quick_work): generate files, add merchants, import, match, export, report",
    )
    .option('-n, --count <n>', 'purchases', wholeNumber, 2000)
    .option('--seed <n>', 'seed', wholeNumber, 7)
    .option(...CONFIG_OPTION)
    .action(async (o: { count: number; seed: number; config: string }) =>
      withMatching(
        o.config,
        async (m, runtime) => {
          const dir = path.resolve(runtime.baseDir, m.config.importDir ?? './imports');
          const start = Date.parse('2026-11-01T00:00:00Z');
          const files = await writeDemoFiles(dir, m.config, { count: o.count, seed: o.seed, start });
          const added = await m.reference.addMerchantsCsv(await readFile(files.merchants, 'utf8'));
          process.stdout.write(
            `1. ${added} merchant identifiers from ${path.relative(process.cwd(), files.merchants)}\n`,
          );
          for (const file of files.files) {
            const [side, owner] = path.relative(dir, file).split(path.sep) as [Side, string];
            const r = await m.importer.importFile(side, owner, file);
            process.stdout.write(
              `2. ${path.relative(process.cwd(), file)}: ${r.alreadyImportedAs ? `already imported (group ${r.alreadyImportedAs})` : `group ${r.matchGroup}, ${r.accepted} new, ${r.duplicates} already stored, ${r.rejected.length} rejected`}\n`,
            );
          }
          const run = await m.runOnce();
          process.stdout.write(`3. matched ${run.matched}, exported ${run.exported}\n`);
          printTotals(await m.queries.totals());
          const x = await m.exporter.counts();
          process.stdout.write(
            `4. exports: ${Object.entries(x)
              .map(([k, v]) => `${v} ${k}`)
              .join(
                ', ',
              )}${m.config.rabbitmq ? ` → RabbitMQ queue ${m.config.export.queue}` : ''}${m.exporter.dir ? ` and files in ${path.relative(process.cwd(), m.exporter.dir)}` : ''}\n`,
          );
          const [first] = (await m.queries.list({ side: 'payment', status: 'matched', limit: 1 }))
            .transactions;
          if (first) {
            const t = await m.queries.transaction('payment', Number(first.id));
            process.stdout.write(`   one match: ${JSON.stringify((t as { match?: unknown }).match)}\n`);
          }
          process.stdout.write(
            "   next: panoramix match list --status ambiguous, panoramix match show payment ID, the dashboard's Matching page\n",
          );
        },
        { broker: true },
      ),
    );
}
