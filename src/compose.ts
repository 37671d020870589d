import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { registerTransactionContracts } from './match/contracts.js';
import { createCoreRuntime, type Role, type Runtime } from './runtime.js';

/**
 * The runtime of a process: its core (store, committer, ingest, health) with the configured features wired
 * in. The composition root: the only module that knows both the runtime and the features, so that the
 * runtime imports no feature and no feature imports another through it.
 */
export async function createRuntime(
  config: Config,
  baseDir: string,
  logger: Logger,
  role: Role = 'all',
): Promise<Runtime> {
  const runtime = await createCoreRuntime(config, baseDir, logger, role);
  // In every role: a collector refuses a bad transaction event as the importer would.
  if (config.matching) registerTransactionContracts(runtime.ingest, config.matching);
  return runtime;
}
