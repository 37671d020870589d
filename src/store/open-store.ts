import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { BackoffSettings } from '../core/backoff.js';
import type { Store } from './store.js';

/**
 * Opens the configured store; an engine's driver is loaded only when that engine is chosen. The logger
 * hears a server store's changes of connection state.
 */
export async function openStore(
  config: Config['store'],
  baseDir: string,
  logger?: Logger,
  backoff?: BackoffSettings,
): Promise<Store> {
  if (config.engine === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    if (!config.url) throw new Error('store.url is required when store.engine is postgres');
    return PostgresStore.open({
      url: config.url,
      ...(config.schema ? { schema: config.schema } : {}),
      ...(logger ? { logger } : {}),
      ...(backoff ? { backoff } : {}),
    });
  }
  const { DuckDbStore } = await import('./duckdb/duckdb-store.js');
  const file = config.path === ':memory:' ? config.path : path.resolve(baseDir, config.path);
  return DuckDbStore.open({ path: file });
}
