// npm run bench -- lifecycle [--messages 1000000] [--quick]
// 1) Mars's own load shape, `wrk -t20 -c20 -d10s`, against POST /api/event next to a bare Node server that only
//    parses the body, in the same run (requests/s and the ratio). 2) N messages (~5 events each) sent through
//    HTTP in bulk, folded into lifecycle records: ingest and aggregation throughput. 3) Latency of "messages
//    missing MESSAGE_REACHED_FRONTEND in the last hour" (p50/p99).
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { messagesGenerator } from '../src/generate/messages.js';
import { Lifecycles, lifecycleTrackers } from '../src/lifecycle/service.js';
import { createApp } from '../src/serve/app.js';
import { opt, quick } from './_args.js';
import { fmt, median, printComparison } from './_report.js';

const messages = opt('messages', quick ? 50_000 : 1_000_000);
const seconds = quick ? 5 : 10;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-'));
const config = parseConfig(`
store: { path: ${path.join(dir, 'bench.duckdb')} }
sources: { mars: {} }
lifecycles:
  messages:
    sources: [mars]
    app: data.app_id
    stages: [MESSAGE_CREATED, MESSAGE_REACHED_BACKEND, MESSAGE_IN_SEARCH_QUEUE, MESSAGE_IN_UPDATES_QUEUE, MESSAGE_IN_WS_QUEUE, MESSAGE_REACHED_FRONTEND]
    terminal: [MESSAGE_FAILED]
    deadlines: { MESSAGE_REACHED_FRONTEND: { after: MESSAGE_CREATED, within: 1m } }
`);
const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
const lifecycles = runtime.feature(Lifecycles);
await lifecycles.start();
runtime.onClose(() => lifecycles.stop());
const app = await createApp(runtime);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(
  `lifecycle benchmark: ${messages.toLocaleString('en-US')} messages, ${os.cpus().length} cores\n`,
);

// 1) wrk, Mars's shape, each request a new message id (a Lua counter), next to the bare parser.
const lua = path.join(dir, 'post.lua');
fs.writeFileSync(
  lua,
  `local n = 0
request = function()
  n = n + 1
  local body = '{"app_id":"chat","message_id":"w' .. math.random(1, 1000000000) .. '-' .. n .. '","event":"MESSAGE_CREATED","created_at":"2026-11-24T10:00:00Z"}'
  return wrk.format("POST", "/api/event", {["Content-Type"] = "application/json"}, body)
end
`,
);
const bare = spawn(process.execPath, [path.join(import.meta.dirname, 'bare-server.mjs'), '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const barePort = await new Promise<number>((r) =>
  bare.stdout!.on('data', (d) => r(Number(/listening (\d+)/.exec(String(d))?.[1]))),
);
// wrk runs asynchronously: the server under test lives in this process and must keep answering.
const wrk = async (url: string) => {
  const { stdout } = await promisify(execFile)('wrk', ['-t20', '-c20', `-d${seconds}s`, '-s', lua, url], {
    encoding: 'utf8',
  });
  if (/Non-2xx/.test(stdout))
    process.stdout.write(
      `  (${/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1]} non-2xx answers from ${url})\n`,
    );
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
};
let haveWrk = true;
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (err) {
  haveWrk = (err as { status?: number }).status === 1; // wrk --version exits 1 after printing its version
}
if (haveWrk) {
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    base.push(await wrk(`http://127.0.0.1:${barePort}`));
    ours.push(await wrk(address));
  }
  printComparison(
    'POST /api/event, wrk -t20 -c20 (req/s)',
    median(ours),
    median(base),
    'req/s',
    'Mars: 702 req/s',
  );
} else {
  process.stdout.write('wrk is not installed (apt-get install wrk): skipping the wrk comparison\n');
}
bare.kill();

// 2) Bulk ingest over HTTP, then aggregation.
const start = Date.now() - messages * 200 - 3_600_000;
let body: string[] = [];
let sent = 0;
let t = performance.now();
const post = async () => {
  const res = await fetch(`${address}/api/event/bulk`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: body.join('\n'),
  });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  sent += body.length;
  body = [];
};
for (const e of messagesGenerator.generate({ count: messages, seed: 1, start })) {
  body.push(JSON.stringify(e));
  if (body.length === 5000) await post();
}
if (body.length) await post();
const ingestSeconds = (performance.now() - t) / 1000;
const tracker = (await lifecycleTrackers(runtime)).get('messages')!;
t = performance.now();
await tracker.fold();
const foldSeconds = (performance.now() - t) / 1000;
t = performance.now();
await tracker.rebuild();
const rebuildSeconds = (performance.now() - t) / 1000;
process.stdout.write(
  `ingest over HTTP: ${sent.toLocaleString('en-US')} events in ${fmt(ingestSeconds)} s = ${fmt(sent / ingestSeconds)} events/s (records folded as they came)\n` +
    `last fold ${fmt(foldSeconds)} s; rebuild of all records from history ${fmt(rebuildSeconds)} s = ${fmt(sent / rebuildSeconds)} events/s\n`,
);

// 3) "Missing MESSAGE_REACHED_FRONTEND in the last hour".
const lat: number[] = [];
for (let i = 0; i < 50; i++) {
  const q = performance.now();
  const res = await fetch(
    `${address}/v1/lifecycles/messages/messages?missing=MESSAGE_REACHED_FRONTEND&from=${new Date(Date.now() - 3_600_000).toISOString()}&limit=50`,
  );
  await res.json();
  lat.push(performance.now() - q);
}
lat.sort((a, b) => a - b);
process.stdout.write(
  `missing MESSAGE_REACHED_FRONTEND in the last hour: p50 ${fmt(lat[25]!)} ms, p99 ${fmt(lat[49]!)} ms (50 requests)\n`,
);
await app.close();
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
