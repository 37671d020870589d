import { Command } from 'commander';
import type { ColumnFilter } from '../../project/projection-reader.js';
import { projectionEngine } from '../../project/service.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

/** `panoramix project list|rebuild|show`: the projections of the store, from the command line. */
export function projectCommand(): Command {
  const cmd = new Command('project').description(
    'list, rebuild and show projections (on the store directly, with no server running)',
  );
  cmd
    .command('list')
    .description('every projection with its version, watermark and freshness')
    .option(...CONFIG_OPTION)
    .action(async (opts: { config: string }) => {
      await withEngine(opts.config, async (runtime) => {
        const rows = [];
        for (const name of runtime.projections!.names()) {
          const a = await runtime.projections!.read(name, { limit: 1 }).catch(() => null);
          rows.push({
            name,
            shape: runtime.config.projections[name]!.shape,
            watermark: a?.freshness.watermark ?? null,
            speed_events: a?.freshness.speedEvents ?? null,
            batch_at: a?.freshness.batchAt ?? 'never built',
          });
        }
        process.stdout.write(formatRows(rows, 'table'));
      });
    });
  cmd
    .command('rebuild')
    .description('recompute a projection from the whole history and swap it in')
    .argument('<name>', 'projection')
    .option(...CONFIG_OPTION)
    .action(async (name: string, opts: { config: string }) => {
      await withEngine(opts.config, async (runtime) => {
        const engine = await projectionEngine(runtime);
        if (!engine.plans.has(name))
          fail(`no projection named ${name}; projections: ${[...engine.plans.keys()].join(', ') || 'none'}`);
        process.stderr.write(`rebuilding ${name} from ${await runtime.store.lastSeq()} events…\n`);
        const v = await engine.rebuild(name);
        process.stdout.write(
          `${name}: version ${v.version}, watermark ${v.watermark}, built in ${v.buildMs} ms\n`,
        );
      });
    });
  cmd
    .command('show')
    .description("print a projection's rows (batch and speed merged)")
    .argument('<name>', 'projection')
    .option(...CONFIG_OPTION)
    .option('--where <filter...>', 'column=value filters (equality)')
    .option('--sort <columns>', 'columns to sort by, - for descending, e.g. -updated_ts')
    .option('-l, --limit <n>', 'rows to print', wholeNumber, 20)
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action(
      async (
        name: string,
        opts: { config: string; where?: string[]; sort?: string; limit: number; format: string },
      ) => {
        if (!OUTPUT_FORMATS.includes(opts.format as OutputFormat))
          fail(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
        await withEngine(opts.config, async (runtime) => {
          const engine = await projectionEngine(runtime);
          if (!engine.plans.has(name))
            fail(
              `no projection named ${name}; projections: ${[...engine.plans.keys()].join(', ') || 'none'}`,
            );
          if ((await engine.stale()).includes(name)) await engine.rebuild(name);
          await engine.fold();
          const filters: Record<string, ColumnFilter[]> = {};
          for (const w of opts.where ?? []) {
            const at = w.indexOf('=');
            if (at < 1) fail(`--where takes column=value, not ${w}`);
            filters[w.slice(0, at)] = [{ op: 'eq', value: w.slice(at + 1) }];
          }
          const sort = opts.sort
            ?.split(',')
            .map((s) => (s.startsWith('-') ? { column: s.slice(1), desc: true } : { column: s }));
          const a = await runtime
            .projections!.read(name, { filters, limit: opts.limit, ...(sort ? { sort } : {}) })
            .catch((err: Error) => fail(err.message));
          process.stdout.write(formatRows(a.rows, opts.format as OutputFormat));
          process.stderr.write(
            `watermark ${a.freshness.watermark}, +${a.freshness.speedEvents} events from the speed layer, batch at ${a.freshness.batchAt}\n`,
          );
        });
      },
    );
  return cmd;
}

async function withEngine(
  config: string,
  fn: (runtime: Awaited<ReturnType<typeof openProject>>) => Promise<void>,
): Promise<void> {
  const runtime = await openProject(config, createLogger('warn'));
  try {
    await projectionEngine(runtime);
    await fn(runtime);
  } finally {
    await runtime.close();
  }
}
