import type { DestinationView, ReplayFrom } from '../destinations/admin.js';
import { destinationsOf } from '../destinations/service.js';
import type { DeadLetter, DestinationState } from '../destinations/state.js';
import { createLogger } from './logger.js';
import { fail, openProject } from './project.js';

/** The destination operations the CLI runs: on the store directly, or through a running server's API. */
export interface DestinationsClient {
  list(): Promise<DestinationView[]>;
  pause(name: string, reason?: string): Promise<DestinationState>;
  resume(name: string): Promise<DestinationState>;
  replay(name: string, from: ReplayFrom): Promise<{ from: number; to: number }>;
  replayDeadLetters(name: string): Promise<{ deadLetters: number }>;
  deadLetters(name: string, limit: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

/** On the store: for PostgreSQL at any time, for DuckDB while no server holds the file. */
export async function directClient(config: string): Promise<DestinationsClient> {
  const rt = await openProject(config, createLogger('warn'));
  const d = await destinationsOf(rt);
  if (!d) {
    await rt.close();
    fail(`${config} has no destinations`);
  }
  const a = d.admin;
  return {
    list: () => a.list(),
    pause: (name, reason) => a.pause(name, reason),
    resume: (name) => a.resume(name),
    replay: (name, from) => a.replay(name, from),
    replayDeadLetters: (name) => a.replayDeadLetters(name),
    deadLetters: (name, limit) => a.deadLetters(name, limit),
    close: () => rt.close(),
  };
}

/** Through a running server (`--url`), with a read token when it needs one. */
export function httpClient(base: string, token: string | undefined): DestinationsClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const url = `${base.replace(/\/$/, '')}/v1/destinations${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      fail(
        `could not reach ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
    const json = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) fail(json.error ?? `${method} ${url}: HTTP ${res.status}`);
    return json;
  };
  const at = (name: string) => `/${encodeURIComponent(name)}`;
  return {
    list: async () => (await call<{ destinations: DestinationView[] }>('GET', '')).destinations,
    pause: (name, reason) => call('POST', `${at(name)}/pause`, reason ? { reason } : {}),
    resume: (name) => call('POST', `${at(name)}/resume`, {}),
    replay: (name, from) =>
      call('POST', `${at(name)}/replay`, 'fromSeq' in from ? from : { since: from.since.toISOString() }),
    replayDeadLetters: (name) => call('POST', `${at(name)}/replay`, { deadLetters: true }),
    deadLetters: async (name, limit) =>
      (await call<{ deadLetters: DeadLetter[] }>('GET', `${at(name)}/dead-letters?limit=${limit}`))
        .deadLetters,
    close: async () => {},
  };
}
