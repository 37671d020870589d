import { Command } from 'commander';
import { runRetention } from '../../retention/run.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

/** `panoramix retention run`: remove expired events now (the schedule's job, on demand). */
export function retentionCommand(): Command {
  const cmd = new Command('retention').description('retention of events (docs/retention.md)');
  cmd
    .command('run')
    .description('remove the events older than their retention now, rebuild projections, and print the run')
    .option(...CONFIG_OPTION)
    .action(async (opts: { config: string }) => {
      const runtime = await openProject(opts.config, createLogger('warn'));
      try {
        if (!runtime.config.retention) fail('no retention: in the project file, so nothing expires');
        process.stdout.write(`${JSON.stringify(await runRetention(runtime), null, 2)}\n`);
      } finally {
        await runtime.close();
      }
    });
  return cmd;
}
