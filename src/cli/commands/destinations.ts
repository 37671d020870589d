import { Command } from 'commander';
import type { DestinationView } from '../../destinations/admin.js';
import { NotPossible, UnknownDestination } from '../../destinations/admin.js';
import { replayFromOf } from '../../destinations/replay-from.js';
import { wholeNumber } from '../arguments.js';
import { type DestinationsClient, directClient, httpClient } from '../destinations-client.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { CONFIG_OPTION, fail } from '../project.js';

type Common = { config: string; url?: string; token?: string };

/** `panoramix destinations list|pause|resume|replay|dead-letters`: operate the webhooks and brokers that receive events. */
export function destinationsCommand(): Command {
  const cmd = new Command('destinations').description(
    'list, pause, resume and replay destinations, and show their dead letters (on the store, or a server with --url)',
  );
  const common = (c: Command) =>
    c
      .option(...CONFIG_OPTION)
      .option(
        '--url <url>',
        'a running server to ask (e.g. http://127.0.0.1:8080); default: the store directly',
      )
      .option(
        '--token <token>',
        'token for --url: a read token lists, an admin token also pauses, resumes and replays',
        process.env.PANORAMIX_ADMIN_TOKEN ?? process.env.PANORAMIX_READ_TOKEN,
      );
  common(
    cmd.command('list').description('each destination: cursor, lag, state, dead letters, replay progress'),
  )
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action((o: Common & { format: string }) =>
      run(o, async (c) => {
        const format = (
          OUTPUT_FORMATS.includes(o.format as OutputFormat) ? o.format : 'table'
        ) as OutputFormat;
        process.stdout.write(formatRows((await c.list()).map(row), format));
      }),
    );
  common(cmd.command('pause').description('stop delivering until resumed').argument('<name>'))
    .option('--reason <text>', 'why (shown by list)')
    .action((name: string, o: Common & { reason?: string }) =>
      run(o, async (c) => print(await c.pause(name, o.reason))),
    );
  common(
    cmd
      .command('resume')
      .description('deliver again; failures count afresh toward auto-pause')
      .argument('<name>'),
  ).action((name: string, o: Common) => run(o, async (c) => print(await c.resume(name))));
  common(
    cmd
      .command('replay')
      .description('send again every event from a seq or a time on (a backfill), or the dead letters')
      .argument('<name>'),
  )
    .option('--from-seq <n>', 'from this seq on', wholeNumber)
    .option('--since <time>', 'from the first event received at or after this time (ISO)')
    .option('--dead-letters', 'the dead letters, before new events; those accepted leave the list')
    .option('--follow', 'print the progress until the replay is done (needs a running server)')
    .action(
      (
        name: string,
        o: Common & { fromSeq?: number; since?: string; deadLetters?: boolean; follow?: boolean },
      ) =>
        run(o, async (c) => {
          if (o.deadLetters) {
            if (o.fromSeq !== undefined || o.since !== undefined)
              fail('--dead-letters takes no --from-seq or --since');
            return print({ destination: name, ...(await c.replayDeadLetters(name)) });
          }
          const from = replayFromOf({ fromSeq: o.fromSeq, since: o.since });
          if (typeof from === 'string')
            fail(from.replace('fromSeq', '--from-seq').replace('since', '--since'));
          const replay = await c.replay(name, from);
          print({ destination: name, ...replay, events: replay.to - replay.from });
          if (o.follow) await follow(c, name);
        }),
    );
  common(
    cmd.command('dead-letters').description('events the receiver refused, newest first').argument('<name>'),
  )
    .option('-l, --limit <n>', 'at most this many', wholeNumber, 100)
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action((name: string, o: Common & { limit: number; format: string }) =>
      run(o, async (c) => {
        const format = (
          OUTPUT_FORMATS.includes(o.format as OutputFormat) ? o.format : 'table'
        ) as OutputFormat;
        const letters = await c.deadLetters(name, o.limit);
        process.stdout.write(
          formatRows(
            letters.map((l) => ({
              seq: l.seq,
              source: l.source,
              id: l.eventId,
              status: l.status,
              failed_at: new Date(l.failedAt).toISOString(),
              response: l.response,
            })),
            format,
          ),
        );
      }),
    );
  return cmd;
}

async function run(o: Common, fn: (c: DestinationsClient) => Promise<void>): Promise<void> {
  const c = o.url ? httpClient(o.url, o.token) : await directClient(o.config);
  try {
    await fn(c);
  } catch (err) {
    if (err instanceof UnknownDestination || err instanceof NotPossible) fail(err.message);
    throw err;
  } finally {
    await c.close();
  }
}

async function follow(c: DestinationsClient, name: string): Promise<void> {
  for (;;) {
    const v = (await c.list()).find((d) => d.name === name);
    if (!v?.replay) {
      process.stdout.write('replay done\n');
      return;
    }
    process.stdout.write(
      `replay ${Math.round(v.replay.progress * 100)}%: cursor ${v.cursor} of ${v.replay.to}${v.paused ? ' (paused)' : ''}\n`,
    );
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v)}\n`);
}

function row(v: DestinationView) {
  return {
    name: v.name,
    kind: v.kind,
    cursor: v.cursor,
    lag_events: v.lagEvents,
    lag_seconds: Math.round(v.lagSeconds * 10) / 10,
    state: v.paused
      ? `paused: ${v.pausedReason ?? ''}`
      : v.failingSince
        ? `failing since ${v.failingSince}`
        : 'ok',
    last_status: v.lastStatus,
    dead_letters: v.deadLetters,
    replay: v.replay ? `${Math.round(v.replay.progress * 100)}% of ${v.replay.from}..${v.replay.to}` : '',
    last_error: v.lastError,
  };
}
