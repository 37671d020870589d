// Child process of test/lazy-drivers.test.ts: composes a runtime from the YAML in argv[2] (a DuckDB store
// in argv[3]), starts its services and its HTTP app as `panoramix start` does, and prints the packages this
// process loaded, one JSON array; then opens the lake datasource named argv[4] and prints them again.
import { register } from 'node:module';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const urls = new Set<string>();
port1.on('message', (url: string) => urls.add(url));
register('./record-resolve.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

const [yaml, dir, datasource] = process.argv.slice(2) as [string, string, string];
const { pino } = await import('pino');
const { parseConfig } = await import('../../src/config/load.js');
const { createRuntime } = await import('../../src/compose.js');
const { startServices } = await import('../../src/services.js');
const { createApp } = await import('../../src/serve/app.js');
const { openDatasource } = await import('../../src/lake/open-datasource.js');

const config = parseConfig(`store: { path: ${path.join(dir, 'store.duckdb')} }\n${yaml}`);
const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
await startServices(runtime);
const app = await createApp(runtime);
await app.inject('/status');
await printPackages();
await (await openDatasource(runtime, config.lake!.datasources[datasource]!)).close();
await printPackages();
await app.close();
await runtime.close();
port1.close();

async function printPackages(): Promise<void> {
  // The hook's messages come from its own thread: let the last ones arrive.
  await new Promise((r) => setTimeout(r, 200));
  const packages = new Set<string>();
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) packages.add(m[1]!);
  }
  process.stdout.write(`${JSON.stringify([...packages].sort())}\n`);
}
