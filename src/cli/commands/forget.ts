import { Command } from 'commander';
import type { ErasureScope } from '../../forget/config.js';
import { parseScope } from '../../forget/scope.js';
import { Forget } from '../../forget/service.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

/** `panoramix forget`: erase a subject from the store, projections, quarantine, lifecycles and the lake. */
export function forgetCommand(): Command {
  return new Command('forget')
    .description(
      "erase a subject's data everywhere Panoramix holds it and refuse its new events (on the store: stop the server, or use POST /v1/deletions); prints the audit record",
    )
    .requiredOption(
      '--subject <subject...>',
      'the userId, order id or other subject to erase (several: one batch)',
    )
    .option(...CONFIG_OPTION)
    .option('--source <source>', 'only events of this source')
    .option('--type <type>', 'only events of this type')
    .option('--since <time>', 'only events at or after this time (RFC 3339)')
    .option('--until <time>', 'only events before this time (RFC 3339)')
    .option('--no-suppress', "do not refuse the subject's new events")
    .action(
      async (opts: {
        config: string;
        subject: string[];
        source?: string;
        type?: string;
        since?: string;
        until?: string;
        suppress: boolean;
      }) => {
        const scopes = opts.subject.map((subject) => parseScope({ ...opts, subject }));
        for (const s of scopes) if ('error' in s) fail(s.error);
        const runtime = await openProject(opts.config, createLogger('warn'));
        try {
          // A rerun after a crash resumes the unfinished request of the same scope.
          const done = await (await Forget.of(runtime)).runAllToEnd(scopes as ErasureScope[]);
          process.stdout.write(`${JSON.stringify(done.length === 1 ? done[0] : done, null, 2)}\n`);
        } finally {
          await runtime.close();
        }
      },
    );
}
