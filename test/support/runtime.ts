import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createRuntime } from '../../src/compose.js';
import { parseConfig } from '../../src/config/load.js';
import type { Runtime } from '../../src/runtime.js';
import { createApp } from '../../src/serve/app.js';
import { tempDir } from './temp.js';

/** A runtime on a fresh DuckDB file and its HTTP app (no socket), from YAML text. */
export async function testApp(
  yaml: string,
): Promise<{ runtime: Runtime; app: FastifyInstance; dir: string }> {
  const dir = tempDir();
  const config = parseConfig(`store:\n  path: ${path.join(dir, 'store.duckdb')}\n${yaml}`);
  const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
  const app = await createApp(runtime);
  return { runtime, app, dir };
}
