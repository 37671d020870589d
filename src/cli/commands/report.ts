import { Command } from 'commander';
import { ReportScheduler } from '../../report/scheduler.js';
import { reportRunner } from '../../report/service.js';
import { createLogger } from '../logger.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

/** `panoramix report run|schedule`: run a report now for any window, or list what runs when. */
export function reportCommand(): Command {
  const cmd = new Command('report').description(
    'run reports and see their schedule (on the store directly, with no server running)',
  );
  cmd
    .command('run')
    .description(
      'run a report for a window [end − offset, end]: write its file (recorded as a run), or print it',
    )
    .argument('<name>', 'report')
    .option(...CONFIG_OPTION)
    .option('--end <time>', 'end of the window (ISO); default now')
    .option('--offset <duration>', "length of the window, e.g. 15m, 2h (default: the report's)")
    .option('--param <key=value...>', 'report parameters')
    .option('-o, --out <file>', "write here instead of the report's output path")
    .option('--print', 'print the rows instead of writing a file (nothing is recorded)')
    .option('-f, --format <format>', `with --print: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action(
      async (
        name: string,
        o: {
          config: string;
          end?: string;
          offset?: string;
          param?: string[];
          out?: string;
          print?: boolean;
          format: string;
        },
      ) => {
        const runtime = await openProject(o.config, createLogger('warn'));
        try {
          if (!runtime.config.reports[name])
            fail(
              `no report named ${name}; reports: ${Object.keys(runtime.config.reports).join(', ') || 'none'}`,
            );
          const end = o.end ? new Date(o.end) : undefined;
          if (end && Number.isNaN(end.getTime())) fail(`--end must be an ISO time, not ${o.end}`);
          const params: Record<string, string> = {};
          for (const p of o.param ?? []) {
            const at = p.indexOf('=');
            if (at < 1) fail(`--param takes key=value, not ${p}`);
            params[p.slice(0, at)] = p.slice(at + 1);
          }
          const req = {
            ...(end ? { end } : {}),
            ...(o.offset ? { offset: o.offset } : {}),
            params,
            ...(o.out ? { out: o.out } : {}),
          };
          const runner = reportRunner(runtime);
          if (o.print) {
            if (!OUTPUT_FORMATS.includes(o.format as OutputFormat))
              fail(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
            const r = await runner.compute(name, req).catch((err: Error) => fail(err.message));
            process.stdout.write(formatRows(r.rows, o.format as OutputFormat));
            process.stderr.write(`window ${r.windowStart.toISOString()} … ${r.windowEnd.toISOString()}\n`);
            return;
          }
          const run = await runner.run(name, req);
          if (run.status !== 'ok') fail(`report ${name} ${run.status}: ${run.error}`);
          process.stdout.write(`${run.file}\n`);
          process.stderr.write(`${run.rows} rows, window ${run.windowStart} … ${run.windowEnd}\n`);
        } finally {
          await runtime.close();
        }
      },
    );
  cmd
    .command('schedule')
    .description('list scheduled reports and when each runs next')
    .option(...CONFIG_OPTION)
    .action(async (o: { config: string }) => {
      const runtime = await openProject(o.config, createLogger('warn'));
      try {
        await reportRunner(runtime).migrate();
        const s = new ReportScheduler(
          runtime.config.reports,
          runtime.store,
          async () => undefined,
          runtime.logger,
        );
        await s.init(new Date());
        const rows = Object.entries(runtime.config.reports).map(([name, def]) => ({
          name,
          schedule: def.schedule ?? '(on demand)',
          next: s.upcoming().find((u) => u.name === name)?.next ?? '',
          missed: def.missed,
          format: def.format,
        }));
        process.stdout.write(formatRows(rows, 'table'));
      } finally {
        await runtime.close();
      }
    });
  return cmd;
}
