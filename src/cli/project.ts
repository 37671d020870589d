import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { createRuntime } from '../compose.js';
import { ConfigError, type LoadedConfig, loadConfig } from '../config/load.js';
import { isConnectionError } from '../core/connection-errors.js';
import { type ConnectionWatch, sleep } from '../core/connection-watch.js';
import type { Role, Runtime } from '../runtime.js';

/** The --config option every command shares. */
export const CONFIG_OPTION = [
  '-c, --config <file>',
  'project file',
  process.env.PANORAMIX_CONFIG ?? 'panoramix.yaml',
] as const;

/** Loads the project file or exits with the file, line and reason. */
export function loadProject(file: string): LoadedConfig {
  if (!fs.existsSync(file)) {
    fail(`${file}: no such project file. Run \`panoramix init\` to write a starter, or pass --config FILE.`);
  }
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** Opens the project's runtime (store and collector) for a command. */
export async function openProject(file: string, logger: Logger, role: Role = 'all'): Promise<Runtime> {
  const { config, dir } = loadProject(file);
  try {
    return await createRuntime(config, dir, logger, role);
  } catch (err) {
    const msg = (err as Error).message;
    if (/lock/i.test(msg)) {
      fail(
        `the store ${path.resolve(dir, config.store.path)} is in use by another panoramix process: ${msg.split('\n')[0]}`,
      );
    }
    throw err;
  }
}

/**
 * Opens the runtime of a long-running process, waiting out a store that cannot be reached (PostgreSQL down
 * at start): each failed attempt is told to `watch` (one log line, the backoff wait, what /status shows) and
 * tried again. Any other error is a configuration mistake and ends the process as openProject does.
 * Undefined when the signal aborted (SIGTERM while waiting).
 */
export async function openProjectWhenReachable(
  file: string,
  logger: Logger,
  role: Role,
  watch: ConnectionWatch,
  signal: AbortSignal,
): Promise<Runtime | undefined> {
  while (!signal.aborted) {
    try {
      const runtime = await openProject(file, logger, role);
      watch.up();
      return runtime;
    } catch (err) {
      if (!isConnectionError(err)) {
        // The database said no (a wrong password, a missing database): a configuration error, in one line.
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string') fail(`the store could not be opened: ${(err as Error).message}`);
        throw err;
      }
      await sleep(watch.failed(err), signal);
    }
  }
  return undefined;
}

/** Prints a sentence to stderr and exits 1: for mistakes a user can fix, never for bugs. */
export function fail(message: string): never {
  process.stderr.write(`panoramix: ${message}\n`);
  process.exit(1);
}
