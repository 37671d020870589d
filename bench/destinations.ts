// npm run bench -- destinations [--events 500000] [--batch 5000] [--rate 10000] [--seconds 10] [--quick]
// Delivery to a local webhook receiver (bench/_receiver.mjs, its own process), each figure beside a same-run
// baseline: (1) throughput of a backlog through a destination, against a bare loop POSTing the same batch
// bodies, built in memory beforehand, one after another; (2) the delay from receipt to arrival at the receiver
// (p50, p99) while events are ingested at a steady rate, against a bare loop that POSTs each commit's events
// from the commit hook (no store read, no cursor).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { pino } from 'pino';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { eventText } from '../src/destinations/payload.js';
import { destinationsOf } from '../src/destinations/service.js';
import type { Runtime } from '../src/runtime.js';
import { startServices } from '../src/services.js';
import { tempDir } from '../test/support/temp.js';
import { opt, quick } from './_args.js';
import { printComparison } from './_report.js';

const total = opt('events', quick ? 100_000 : 500_000);
const batch = opt('batch', 5000);
const rate = opt('rate', 10_000);
const seconds = opt('seconds', quick ? 4 : 10);

async function receiver(): Promise<{ url: string; stats: () => Promise<Stats>; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [path.join(import.meta.dirname, '_receiver.mjs'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(/listening (\d+)/.exec(String(d))![1]))),
  );
  const url = `http://127.0.0.1:${port}/hook`;
  return { url, proc, stats: async () => (await (await fetch(url)).json()) as Stats };
}
interface Stats {
  events: number;
  requests: number;
  p50: number | null;
  p99: number | null;
}

const event = (i: number, prefix: string): NewEvent => ({
  source: 'web',
  id: `${prefix}${i}`,
  type: i % 3 ? 'page_viewed' : 'order_placed',
  subject: `u${i % 10_000}`,
  time: Date.now(),
  data: JSON.stringify({ i, path: `/p/${i % 100}`, amount: i % 97 }),
  receivedAt: Date.now(),
});

async function open(url: string, extra: string): Promise<Runtime> {
  const dir = tempDir('panoramix-bench-');
  const config = parseConfig(`store: { path: ${path.join(dir, 'store.duckdb')} }
sources: { web: {} }
destinations:
  hook:
    webhook: { url: "${url}", format: ndjson, timeout: 30s }
    batch: { count: ${batch}, bytes: 64mb, wait: 20ms }
${extra}`);
  return createRuntime(config, dir, pino({ level: 'warn' }));
}

async function throughput(url: string, stats: () => Promise<Stats>): Promise<void> {
  const runtime = await open(url, '    start: earliest\n');
  try {
    for (let i = 0; i < total; i += 20_000)
      await runtime.store.append(
        Array.from({ length: Math.min(20_000, total - i) }, (_, k) => event(i + k, 'b')),
      );
    const stored = await runtime.store.readEvents(0, total);
    // The baseline's bodies: the same NDJSON, built before its clock starts.
    const bodies: string[] = [];
    for (let i = 0; i < stored.length; i += batch)
      bodies.push(
        `${stored
          .slice(i, i + batch)
          .map(eventText)
          .join('\n')}\n`,
      );
    await stats();
    let t0 = performance.now();
    for (const body of bodies)
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const bare = total / ((performance.now() - t0) / 1000);
    if ((await stats()).events !== total) throw new Error('the baseline lost events');
    t0 = performance.now();
    await startServices(runtime);
    const d = (await destinationsOf(runtime))!;
    const last = await runtime.store.lastSeq();
    while ((await d.admin.states.get('hook'))!.cursor < last) await new Promise((r) => setTimeout(r, 5));
    const ours = total / ((performance.now() - t0) / 1000);
    const got = (await stats()).events;
    if (got < total) throw new Error(`the destination delivered ${got} of ${total}`);
    printComparison(
      `throughput, ${total} events in batches of ${batch}`,
      ours,
      bare,
      'events/s',
      '>= 100,000 events/s',
    );
  } finally {
    await runtime.close();
  }
}

// Ingests at `rate` events/s for `seconds` in 10 ms steps; returns the receiver's delays.
async function steady(runtime: Runtime, prefix: string, stats: () => Promise<Stats>): Promise<Stats> {
  await stats();
  const per = Math.round(rate / 100);
  const t0 = Date.now();
  let n = 0;
  for (let step = 0; Date.now() - t0 < seconds * 1000; step++) {
    const due = t0 + step * 10;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    await runtime.committer.submit(Array.from({ length: per }, () => event(n++, prefix)));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const s = await stats();
  if (s.events < n) throw new Error(`${s.events} of ${n} events arrived`);
  return s;
}

async function lag(url: string, stats: () => Promise<Stats>): Promise<void> {
  // Baseline: each commit's events POSTed from the commit hook, one request at a time.
  const bare = await open(url, '');
  try {
    let chain: Promise<unknown> = Promise.resolve();
    bare.committer.onCommit((events) => {
      const body = `${events.map(eventText).join('\n')}\n`;
      chain = chain.then(() =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body }),
      );
    });
    const b = await steady(bare, 'l', stats);
    const runtime = await open(url, '');
    try {
      await startServices(runtime);
      const o = await steady(runtime, 'd', stats);
      printComparison(`delay to the receiver at ${rate} events/s, p50`, o.p50!, b.p50!, 'ms');
      printComparison(
        `delay to the receiver at ${rate} events/s, p99`,
        o.p99!,
        b.p99!,
        'ms',
        'p99 <= 1,000 ms',
      );
    } finally {
      await runtime.close();
    }
  } finally {
    await bare.close();
  }
}

const r = await receiver();
try {
  await throughput(r.url, r.stats);
  await lag(r.url, r.stats);
} finally {
  r.proc.kill();
}
