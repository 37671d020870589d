import path from 'node:path';
import { pino } from 'pino';
import { createRuntime } from '../../src/compose.js';
import { parseConfig } from '../../src/config/load.js';
import type { NewEvent } from '../../src/core/event.js';
import type { DestinationAdmin } from '../../src/destinations/admin.js';
import { destinationsOf } from '../../src/destinations/service.js';
import type { Runtime } from '../../src/runtime.js';
import { startServices } from '../../src/services.js';
import { tempDir } from './temp.js';

/** A DuckDB project whose only feature is these destinations (YAML under destinations:), services started. */
export async function destinationsProject(
  destinations: string,
): Promise<{ runtime: Runtime; admin: DestinationAdmin }> {
  const dir = tempDir();
  const yaml = `store: { path: ${path.join(dir, 'store.duckdb')} }\nsources: { web: {} }\ndestinations:\n${destinations}`;
  const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
  await startServices(runtime);
  return { runtime, admin: (await destinationsOf(runtime))!.admin };
}

/** An event of source web. */
export function webEvent(id: string, type = 'order_accepted'): NewEvent {
  return {
    source: 'web',
    id,
    type,
    subject: null,
    time: Date.now(),
    data: JSON.stringify({ id }),
    receivedAt: Date.now(),
  };
}

/** Polls check until it holds, or throws naming what did not happen. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
