import { Command } from 'commander';
import { becomeLeader } from '../../log/leader.js';
import { startServices } from '../../services.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, fail, loadProject, openProject } from '../project.js';
import { runServer } from '../run-server.js';

/** `panoramix serve`: the HTTP collector and API only (server mode: events go to the log). */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'server mode: run the HTTP collector and API; accepted events go to the NATS log (needs log: and a PostgreSQL store)',
    )
    .option(...CONFIG_OPTION)
    .option('-p, --port <port>', 'port to listen on (overrides server.port)', wholeNumber)
    .option('--host <host>', 'address to listen on (overrides server.host)')
    .action(async (opts: { config: string; port?: number; host?: string }) => {
      const runtime = await openProject(opts.config, createLogger(), 'serve');
      if (!runtime.log)
        fail('serve is for server mode: configure log: (NATS) and store.engine: postgres, or use start');
      await runServer(runtime, {
        host: opts.host ?? runtime.config.server.host,
        port: opts.port ?? runtime.config.server.port,
      });
    });
}

/** `panoramix batch`: scheduled reports and lake runs, in exactly one leader at a time. */
export function batchCommand(): Command {
  return new Command('batch')
    .description(
      'server mode: run scheduled reports and lake runs; one leader at a time through a PostgreSQL advisory lock, with takeover',
    )
    .option(...CONFIG_OPTION)
    .option('--poll <ms>', 'how often a follower checks whether the leader is gone', wholeNumber, 2000)
    .action(async (opts: { config: string; poll: number }) => {
      const logger = createLogger();
      const { config } = loadProject(opts.config);
      if (config.store.engine !== 'postgres' || !config.store.url)
        fail('batch is for server mode: store.engine: postgres');
      const stopping = new AbortController();
      process.on('SIGTERM', () => stopping.abort());
      process.on('SIGINT', () => stopping.abort());
      logger.info('waiting to become the batch leader');
      const lease = await becomeLeader(config.store.url!, opts.poll, stopping.signal).catch(() =>
        process.exit(0),
      );
      const runtime = await openProject(opts.config, logger, 'batch');
      await startServices(runtime);
      logger.info({ pid: process.pid }, 'became the batch leader');
      const stop = async () => {
        await runtime.close();
        await lease.release();
        logger.flush();
        process.exit(0);
      };
      stopping.signal.addEventListener('abort', () => void stop());
    });
}

/** `panoramix work`: moves events from the log to the store and keeps the speed layer current. */
export function workCommand(): Command {
  return new Command('work')
    .description(
      'server mode: consume the NATS log into the store (acknowledging after commit) and fold the speed layer',
    )
    .option(...CONFIG_OPTION)
    .action(async (opts: { config: string }) => {
      const logger = createLogger();
      const runtime = await openProject(opts.config, logger, 'work');
      if (!runtime.log) fail('work is for server mode: configure log: (NATS) and store.engine: postgres');
      await startServices(runtime);
      logger.info({ stream: runtime.log.options.stream }, 'worker consuming the log');
      const stop = async (signal: string) => {
        logger.info({ signal }, 'stopping: finishing the current batch');
        await runtime.close();
        logger.flush();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
