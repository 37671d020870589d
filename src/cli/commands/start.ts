import { Command } from 'commander';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, loadProject, openProject } from '../project.js';
import { runServer, runServerWhenStoreReachable } from '../run-server.js';

/** `panoramix start`: the whole pipeline in one process on the configured store. */
export function startCommand(): Command {
  return new Command('start')
    .description('run everything in one process: collector, store, projections, API, schedules')
    .option(...CONFIG_OPTION)
    .option('-p, --port <port>', 'port to listen on (overrides server.port)', wholeNumber)
    .option('--host <host>', 'address to listen on (overrides server.host)')
    .action(async (opts: { config: string; port?: number; host?: string }) => {
      const logger = createLogger();
      const { config } = loadProject(opts.config);
      // PostgreSQL may be down when the process starts: it listens and waits for it, as serve does.
      if (config.store.engine === 'postgres') {
        const listen = { host: opts.host ?? config.server.host, port: opts.port ?? config.server.port };
        return runServerWhenStoreReachable(opts.config, logger, 'all', listen, config.reconnect);
      }
      const runtime = await openProject(opts.config, logger);
      await runServer(runtime, {
        host: opts.host ?? runtime.config.server.host,
        port: opts.port ?? runtime.config.server.port,
      });
    });
}
