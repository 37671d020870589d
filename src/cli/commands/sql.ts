import { Command } from 'commander';
import { createLogger } from '../logger.js';
import { formatRows, OUTPUT_FORMATS } from '../output.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

/** `panoramix sql`: a query over the store, printed as a table, JSON, NDJSON or CSV. */
export function sqlCommand(): Command {
  return new Command('sql')
    .description('run a SQL query over the store (the events table and projections) and print the rows')
    .argument('<query>', 'the SQL text; parameters as $1, $2 … with --param')
    .option(...CONFIG_OPTION)
    .option('--param <value...>', 'bound parameter values, in order')
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action(async (query: string, opts: { config: string; param?: string[]; format: string }) => {
      if (!OUTPUT_FORMATS.includes(opts.format as never))
        fail(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
      const runtime = await openProject(opts.config, createLogger('warn'));
      try {
        const rows = await runtime.store.query(query, opts.param ?? []);
        process.stdout.write(formatRows(rows, opts.format as (typeof OUTPUT_FORMATS)[number]));
      } catch (err) {
        fail(`query failed: ${(err as Error).message}`);
      } finally {
        await runtime.close();
      }
    });
}
