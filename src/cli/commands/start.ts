import { Command } from 'commander';
import { createApp } from '../../serve/app.js';
import { startServices } from '../../services.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, openProject } from '../project.js';

/** `panoramix start`: the whole pipeline in one process on the configured store. */
export function startCommand(): Command {
  return new Command('start')
    .description('run everything in one process: collector, store, projections, API, schedules')
    .option(...CONFIG_OPTION)
    .option('-p, --port <port>', 'port to listen on (overrides server.port)', (v) => Number(v))
    .option('--host <host>', 'address to listen on (overrides server.host)')
    .action(async (opts: { config: string; port?: number; host?: string }) => {
      const logger = createLogger();
      const runtime = await openProject(opts.config, logger);
      const app = await createApp(runtime);
      await startServices(runtime);
      const host = opts.host ?? runtime.config.server.host;
      const port = opts.port ?? runtime.config.server.port;
      const address = await app.listen({ host, port });
      logger.info(
        { address, store: runtime.store.dialect.name, lastSeq: await runtime.store.lastSeq() },
        `panoramix listening on ${address}`,
      );
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal, queued: runtime.committer.depth }, 'stopping: draining the queue before exit');
        // Close the listener first (in-flight requests finish and are answered), then drain and close the store.
        await app.close();
        await runtime.close();
        logger.info({ committed: runtime.committer.stats.committed }, 'stopped');
        logger.flush();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
