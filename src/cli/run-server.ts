import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { createApp } from '../serve/app.js';
import { startServices } from '../services.js';
import type { StartingServer } from './starting-server.js';

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
