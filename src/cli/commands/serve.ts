import { Command } from 'commander';
import { ConnectionWatch } from '../../core/connection-watch.js';
import { BatchLeader } from '../../log/batch-leader.js';
import { startServices } from '../../services.js';
import { STORE_CONNECTION } from '../../store/postgres/connection-name.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, fail, loadProject, openProjectWhenReachable } from '../project.js';
import { runServerWhenStoreReachable, stopSignal } from '../run-server.js';
import { StatusPort, type StatusPortOptions, withStatusPort } from '../status-port.js';

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
      const logger = createLogger();
      const { config } = loadProject(opts.config);
      if (!config.log)
        fail('serve is for server mode: configure log: (NATS) and store.engine: postgres, or use start');
      await runServerWhenStoreReachable(
        opts.config,
        logger,
        'serve',
        { host: opts.host ?? config.server.host, port: opts.port ?? config.server.port },
        config.reconnect,
      );
    });
}

/** `panoramix batch`: scheduled reports and lake runs, in exactly one leader at a time. */
export function batchCommand(): Command {
  return withStatusPort(
    new Command('batch')
      .description(
        'server mode: run scheduled reports and lake runs; one leader at a time through a PostgreSQL advisory lock, with takeover',
      )
      .option(...CONFIG_OPTION)
      .option('--poll <ms>', 'how often a follower checks whether the leader is gone', wholeNumber, 2000),
  ).action(async (opts: { config: string; poll: number } & StatusPortOptions) => {
    const logger = createLogger();
    const { config } = loadProject(opts.config);
    if (config.store.engine !== 'postgres' || !config.store.url)
      fail('batch is for server mode: store.engine: postgres');
    const stopping = stopSignal();
    const waiting = new ConnectionWatch(STORE_CONNECTION, logger, config.reconnect);
    const status = await StatusPort.open(opts, waiting, logger);
    const runtime = await openProjectWhenReachable(opts.config, logger, 'batch', waiting, stopping);
    if (runtime) {
      // Its batch leader competes for the lock and runs the schedules while it holds it (src/log/batch-leader.ts).
      runtime.feature(BatchLeader).pollMs = opts.poll;
      await startServices(runtime);
      await status.serve(runtime);
      await aborted(stopping);
      await status.close();
      await runtime.close().catch((err: unknown) => logger.error({ err }, 'stopping the schedules failed'));
    }
    await status.close();
    logger.flush();
    process.exit(0);
  });
}

/** `panoramix work`: moves events from the log to the store and keeps the speed layer current. */
export function workCommand(): Command {
  return withStatusPort(
    new Command('work')
      .description(
        'server mode: consume the NATS log into the store (acknowledging after commit) and fold the speed layer',
      )
      .option(...CONFIG_OPTION),
  ).action(async (opts: { config: string } & StatusPortOptions) => {
    const logger = createLogger();
    const { config } = loadProject(opts.config);
    if (!config.log) fail('work is for server mode: configure log: (NATS) and store.engine: postgres');
    const stopping = stopSignal();
    const waiting = new ConnectionWatch(STORE_CONNECTION, logger, config.reconnect);
    const status = await StatusPort.open(opts, waiting, logger);
    const runtime = await openProjectWhenReachable(opts.config, logger, 'work', waiting, stopping);
    if (!runtime) {
      await status.close();
      process.exit(0);
    }
    await startServices(runtime);
    await status.serve(runtime);
    logger.info({ stream: config.log.stream }, 'worker consuming the log');
    const stop = async (signal: string) => {
      logger.info({ signal }, 'stopping: finishing the current batch');
      await status.close();
      await runtime.close();
      logger.flush();
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
}
