import { Command } from 'commander';
import { lifecycleTrackers } from '../../lifecycle/service.js';
import type { LifecycleTracker } from '../../lifecycle/tracker.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { formatRows } from '../output.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

/** `panoramix lifecycle show|missing|rebuild`: message lifecycles from the command line (store directly). */
export function lifecycleCommand(): Command {
  const cmd = new Command('lifecycle').description(
    "message lifecycles: one message's timeline, messages missing a stage, rebuild",
  );
  cmd
    .command('show')
    .description("a message's stages (seen, missing, overdue) and its events in time order")
    .argument('<name>', 'lifecycle')
    .argument('<id>', 'message id')
    .option(...CONFIG_OPTION)
    .action(async (name: string, id: string, o: { config: string }) =>
      withTracker(o.config, name, async (t) => {
        const r = await t.get(id);
        if (!r) fail(`no message ${id} in ${name}`);
        process.stdout.write(
          `${r.messageId}  app ${r.app ?? '-'}  current ${r.currentStage ?? '-'}  ${r.events} events\n`,
        );
        process.stdout.write(
          formatRows(
            r.stages.map((s) => ({ stage: s.stage, status: s.status, at: s.at, times: s.count })),
            'table',
          ),
        );
        if (r.anomalies.length) process.stdout.write(`anomalies: ${r.anomalies.join('; ')}\n`);
        const events = await t.events(id);
        process.stdout.write(
          formatRows(
            events.map((e) => ({
              time: e.time ?? null,
              type: e.type ?? null,
              source: e.source ?? null,
              seq: e.seq ?? null,
            })),
            'table',
          ),
        );
      }),
    );
  cmd
    .command('missing')
    .description('messages missing a stage: a later stage was seen, or its deadline passed')
    .argument('<name>', 'lifecycle')
    .requiredOption('--stage <stage>', 'the stage')
    .option(...CONFIG_OPTION)
    .option('--app <app>', 'only this app')
    .option('--at <time>', 'judge deadlines at this time (ISO); default now')
    .option('-l, --limit <n>', 'at most this many', wholeNumber, 50)
    .option('-f, --format <format>', 'table, json, ndjson or csv', 'table')
    .action(
      async (
        name: string,
        o: { config: string; stage: string; app?: string; at?: string; limit: number; format: string },
      ) =>
        withTracker(o.config, name, async (t) => {
          const at = o.at ? new Date(o.at) : new Date();
          const { messages, total } = await t
            .list({ missing: o.stage, ...(o.app ? { app: o.app } : {}), limit: o.limit }, at)
            .catch((err: Error) => fail(err.message));
          const rows = messages.map((m) => ({
            message_id: m.messageId,
            app: m.app,
            current: m.currentStage,
            missing: m.missing.join(' '),
            last_seen: m.lastSeen,
          }));
          process.stdout.write(formatRows(rows, o.format as 'table'));
          process.stderr.write(`${total} message(s) missing ${o.stage}\n`);
        }),
    );
  cmd
    .command('rebuild')
    .description('recompute every record from the event history')
    .argument('<name>', 'lifecycle')
    .option(...CONFIG_OPTION)
    .action(async (name: string, o: { config: string }) =>
      withTracker(o.config, name, async (t) => {
        await t.rebuild();
        process.stdout.write(`${name}: rebuilt up to seq ${await t.foldedSeq()}\n`);
      }),
    );
  return cmd;
}

async function withTracker(
  config: string,
  name: string,
  fn: (t: LifecycleTracker) => Promise<void>,
): Promise<void> {
  const runtime = await openProject(config, createLogger('warn'));
  try {
    const t = (await lifecycleTrackers(runtime)).get(name);
    if (!t)
      fail(
        `no lifecycle named ${name}; lifecycles: ${Object.keys(runtime.config.lifecycles).join(', ') || 'none'}`,
      );
    await t.fold();
    await fn(t);
  } finally {
    await runtime.close();
  }
}
