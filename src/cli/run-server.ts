import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BackoffSettings } from '../core/backoff.js';
import { ConnectionWatch } from '../core/connection-watch.js';
import type { Role, Runtime } from '../runtime.js';
import { createApp } from '../serve/app.js';
import { startServices } from '../services.js';
import { STORE_CONNECTION } from '../store/postgres/connection-name.js';
import { openProjectWhenReachable } from './project.js';
import { listenWhileStarting, type StartingServer } from './starting-server.js';

/**
 * Starts the HTTP app and every feature's services; SIGTERM/SIGINT drain the queue, close, and exit 0.
 * With `starting`, the app takes over the socket that answered while the store was out of reach.
 */
export async function runServer(
  runtime: Runtime,
  listen: { host: string; port: number },
  starting?: StartingServer,
): Promise<{ app: FastifyInstance; address: string }> {
  const app = await createApp(runtime);
  await startServices(runtime);
  let address: string;
  if (starting) {
    await app.ready();
    starting.handOver(app.routing);
    address = starting.address;
  } else address = await app.listen(listen);
  const { logger } = runtime;
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
    await starting?.close();
    await runtime.close();
    logger.info({ committed: runtime.committer.stats.committed }, 'stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return { app, address };
}

/**
 * A server store (PostgreSQL) may be unreachable when the process starts: it listens at once (/status 503
 * naming the store, its error and next attempt), waits for the store with the backoff, then serves the app
 * on the same socket. SIGTERM/SIGINT while waiting exit 0.
 */
export async function runServerWhenStoreReachable(
  file: string,
  logger: Logger,
  role: Role,
  listen: { host: string; port: number },
  backoff: BackoffSettings,
): Promise<void> {
  const waiting = new ConnectionWatch(STORE_CONNECTION, logger, backoff);
  const starting = await listenWhileStarting(listen, waiting);
  const runtime = await openProjectWhenReachable(file, logger, role, waiting, stopSignal());
  if (!runtime) {
    await starting.close();
    process.exit(0);
  }
  await runServer(runtime, listen, starting);
}

/** Aborted by SIGTERM or SIGINT: how a process waiting for its dependencies is told to give up and exit 0. */
export function stopSignal(): AbortSignal {
  const c = new AbortController();
  process.once('SIGTERM', () => c.abort());
  process.once('SIGINT', () => c.abort());
  return c.signal;
}
