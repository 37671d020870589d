import type { Logger } from 'pino';
import { Backoff, type BackoffSettings } from '../core/backoff.js';
import { sleep } from '../core/connection-watch.js';

/** What the initial build needs of the engine. */
export interface StaleBuilder {
  /** Projections with no version of their current definition. */
  stale(): Promise<string[]>;
  rebuild(name: string): Promise<unknown>;
}

/**
 * Builds every stale projection, and tries again with the backoff until none is stale (or the signal
 * aborts). A build that failed once (a dropped connection, another worker's build of the same projection,
 * a loaded store) left the projection without a current version for good: it answered 503 "being built
 * for the first time" until the process restarted. Each pass asks for what is stale again, so a version
 * another process built meanwhile is not built twice.
 */
export async function buildUntilCurrent(
  engine: StaleBuilder,
  settings: BackoffSettings,
  log: Logger,
  signal: AbortSignal,
  onError: (err: Error | null) => void = () => undefined,
): Promise<void> {
  const backoff = new Backoff(settings);
  while (!signal.aborted) {
    let failed: Error | null = null;
    try {
      for (const name of await engine.stale()) {
        if (signal.aborted) return;
        await engine.rebuild(name).catch((err: Error) => {
          failed = err;
          log.error({ err, projection: name }, 'initial build failed; tried again after a backoff');
        });
      }
    } catch (err) {
      failed = err as Error;
      log.error({ err }, 'could not read which projections are stale; tried again after a backoff');
    }
    onError(failed);
    if (!failed) return;
    await sleep(backoff.next(), signal);
  }
}
