import { Command } from 'commander';
import type { QuarantineFilter } from '../../quarantine/quarantine.js';
import { replayQuarantine } from '../../quarantine/replay.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

type Opts = {
  config: string;
  source?: string;
  reason?: string;
  type?: string;
  from?: string;
  to?: string;
  limit?: number;
  format: string;
};

/** `panoramix quarantine list|show|replay|discard`: what could not be accepted, and what to do with it. */
export function quarantineCommand(): Command {
  const cmd = new Command('quarantine').description(
    'inspect, replay or discard inputs that could not be accepted (on the store directly)',
  );
  const filters = (c: Command) =>
    c
      .option(...CONFIG_OPTION)
      .option('--source <source>', 'only this source')
      .option(
        '--reason <reason>',
        'only this reason (unparseable, envelope, unknown_source, forbidden, schema, unknown_type)',
      )
      .option('--type <type>', 'only this event type')
      .option('--from <time>', 'last seen at or after (ISO)')
      .option('--to <time>', 'last seen before (ISO)')
      .option('-l, --limit <n>', 'at most this many', wholeNumber);
  filters(cmd.command('list').description('held inputs, newest first'))
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action(async (o: Opts) =>
      withRuntime(o.config, async (rt) => {
        const items = await rt.quarantine.list(filterOf(o));
        const rows = items.map((i) => ({
          id: i.id,
          source: i.source,
          type: i.type,
          reason: i.reason,
          error: i.error,
          times: i.times,
          last_seen: i.lastSeen,
        }));
        process.stdout.write(
          formatRows(
            rows,
            (OUTPUT_FORMATS.includes(o.format as OutputFormat) ? o.format : 'table') as OutputFormat,
          ),
        );
      }),
    );
  cmd
    .command('show')
    .description('one held input with its raw bytes')
    .argument('<id>')
    .option(...CONFIG_OPTION)
    .action(async (id: string, o: { config: string }) =>
      withRuntime(o.config, async (rt) => {
        const item = await rt.quarantine.get(id);
        if (!item) fail(`nothing quarantined under ${id}`);
        process.stdout.write(`${JSON.stringify(item, null, 2)}\n`);
      }),
    );
  filters(
    cmd
      .command('replay')
      .description('run held inputs through the current configuration; store what passes (never twice)'),
  ).action(async (o: Opts) =>
    withRuntime(o.config, async (rt) => {
      process.stdout.write(`${JSON.stringify(await replayQuarantine(rt, filterOf(o)))}\n`);
    }),
  );
  filters(
    cmd.command('discard').description('stop holding inputs (they stay listed with status discarded)'),
  ).action(async (o: Opts) =>
    withRuntime(o.config, async (rt) => {
      const f = filterOf(o);
      if (!f.source && !f.reason && !f.type)
        fail('discard needs --source, --reason or --type, so nothing is thrown away by accident');
      process.stdout.write(`${JSON.stringify({ discarded: await rt.quarantine.discard(f) })}\n`);
    }),
  );
  return cmd;
}

function filterOf(o: Opts): QuarantineFilter {
  const date = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) fail(`--${name} must be an ISO time`);
    return d;
  };
  const from = date(o.from, 'from');
  const to = date(o.to, 'to');
  return {
    ...(o.source ? { source: o.source } : {}),
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.type ? { type: o.type } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
  };
}

async function withRuntime(
  config: string,
  fn: (rt: Awaited<ReturnType<typeof openProject>>) => Promise<void>,
): Promise<void> {
  const rt = await openProject(config, createLogger('warn'));
  try {
    await fn(rt);
  } finally {
    await rt.close();
  }
}
