import { Command } from 'commander';
import { parseDuration } from '../../core/time.js';
import { GENERATORS } from '../../generate/index.js';
import { FILE_FORMATS, type FileFormat, readEvents } from '../../replay/read-events.js';
import { replay } from '../../replay/replayer.js';
import { positiveNumber, wholeNumber } from '../arguments.js';
import { fail } from '../project.js';

/** `panoramix replay FILE`: sends a file of events (or a generator's output) to a running Panoramix. */
export function replayCommand(): Command {
  return new Command('replay')
    .description('send a JSON, NDJSON or CSV file of events (or generated ones) to a running Panoramix')
    .argument('[file]', 'events file; omit with --generate')
    .option('-u, --url <url>', 'Panoramix base URL', process.env.PANORAMIX_URL ?? 'http://127.0.0.1:8080')
    .option('-k, --key <key>', 'write key (default: $PANORAMIX_WRITE_KEY)', process.env.PANORAMIX_WRITE_KEY)
    .option('--path <path>', 'endpoint to post to (default: /v1/events; /v1/import with --format segment)')
    .option(
      '--format <format>',
      'json, ndjson, csv, or segment (a Segment export: NDJSON of Segment messages, .gz too) (default: from the extension)',
    )
    .option(
      '--generate <kind>',
      `send generated events instead of a file (${Object.keys(GENERATORS).join(', ')})`,
    )
    .option('-n, --count <n>', 'with --generate: how many', wholeNumber, 1000)
    .option('-s, --seed <seed>', 'with --generate: random seed', wholeNumber, 1)
    .option('--batch <n>', 'events per request when not paced', wholeNumber, 500)
    .option(
      '--speed <factor>',
      "pace by the events' timestamps, this many times faster than real time",
      positiveNumber,
    )
    .option('--delay <duration>', 'pace by a fixed delay between events, e.g. 200ms')
    .option('--max-wait <duration>', 'longest wait between paced events', '5s')
    .option(
      '--time-field <field>',
      'field holding the event time (default: time; timestamp with --format segment)',
    )
    .option('--retime', 'shift timestamps so the last event is now (so old data looks recent)')
    .option('--retries <n>', 'retries per request on 503 or network errors', wholeNumber, 8)
    .action(async (file: string | undefined, o: Record<string, string | number | boolean | undefined>) => {
      if (!file && !o.generate) fail('give a file, or --generate KIND');
      const maxWaitMs = parseDuration(String(o.maxWait));
      const delayMs = o.delay === undefined ? undefined : parseDuration(String(o.delay));
      if (Number.isNaN(maxWaitMs) || (delayMs !== undefined && Number.isNaN(delayMs)))
        fail('durations look like 200ms, 5s, 2m');
      if (o.format !== undefined && !FILE_FORMATS.includes(o.format as FileFormat))
        fail(`unknown format "${o.format}"; choose one of ${FILE_FORMATS.join(', ')}`);
      const segment = o.format === 'segment';
      let source: AsyncIterable<Record<string, unknown>>;
      let timeField = String(o.timeField ?? (segment ? 'timestamp' : 'time'));
      // A Segment export goes to Segment's historical import route, through the Segment mapping, as NDJSON.
      const path = String(o.path ?? (segment ? '/v1/import' : '/v1/events'));
      if (o.generate) {
        const gen = GENERATORS[String(o.generate)];
        if (!gen) fail(`unknown kind "${o.generate}"; choose one of ${Object.keys(GENERATORS).join(', ')}`);
        const count = Number(o.count);
        source = toAsync(
          gen.generate({ count, seed: Number(o.seed), start: Date.now() - count * 4000 - 3_600_000 }),
        );
        if (o.timeField === undefined && o.generate === 'orders') timeField = 'timestamp';
      } else {
        source = readEvents(file!, o.format as FileFormat | undefined);
      }
      const tty = process.stderr.isTTY;
      const started = Date.now();
      const result = await replay(source, {
        url: String(o.url),
        path,
        ...(o.key ? { key: String(o.key) } : {}),
        batch: Number(o.batch),
        ...(o.speed !== undefined ? { speed: Number(o.speed) } : {}),
        ...(delayMs !== undefined ? { delayMs } : {}),
        maxWaitMs,
        timeField,
        retime: Boolean(o.retime),
        retries: Number(o.retries),
        onProgress: (p) => {
          if (tty)
            process.stderr.write(
              `\rsent ${p.sent}  accepted ${p.accepted}  duplicates ${p.duplicates}  rejected ${p.rejected}   `,
            );
        },
      }).catch((err: Error) => fail(err.message));
      if (tty) process.stderr.write('\n');
      const secs = (Date.now() - started) / 1000;
      process.stdout.write(
        `${JSON.stringify({ ...result, seconds: Math.round(secs * 10) / 10, eventsPerSecond: Math.round(result.sent / Math.max(secs, 0.001)) })}\n`,
      );
      if (result.rejected > 0) process.exitCode = 2;
    });
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
