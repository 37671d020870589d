import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Store } from './store.js';

/** Opens the configured store; an engine's driver is loaded only when that engine is chosen. */
export async function openStore(config: Config['store'], baseDir: string): Promise<Store> {
  if (config.engine === 'postgres') {
    throw new Error('store.engine postgres is not available yet; use duckdb');
  }
  const { DuckDbStore } = await import('./duckdb/duckdb-store.js');
  const file = config.path === ':memory:' ? config.path : path.resolve(baseDir, config.path);
  return DuckDbStore.open({ path: file });
}
