// npm run bench -- reports [--orders 1000000] [--quick] [--runs 3]
// The three orders reports over N generated orders, next to the same three computed with pandas (Debian's
// python3-pandas) from the same events in the same run, timed from when the data is in each one's store.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { ordersGenerator } from '../src/generate/orders.js';
import { ReportRunner } from '../src/report/runner.js';
import { opt, quick } from './_args.js';
import { fmt, median, printComparison } from './_report.js';

const orders = opt('orders', quick ? 100_000 : 1_000_000);
const runs = opt('runs', quick ? 1 : 3);
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-'));
const config = parseConfig(`
store: { path: ${path.join(dir, 'bench.duckdb')} }
reports:
  age: { builtin: orders.age }
  status: { builtin: orders.status }
  estimate: { builtin: orders.estimate }
`);
const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
const runner = new ReportRunner(runtime);
process.stdout.write(
  `reports benchmark: ${orders.toLocaleString('en-US')} orders, ${os.cpus().length} cores\n`,
);

const csvPath = path.join(dir, 'events.csv');
const csv = fs.createWriteStream(csvPath);
csv.write('seq,order_id,type,time,customer_id,product\n');
let batch: NewEvent[] = [];
let seq = 0;
let last = 0;
const start = Date.parse('2026-01-01T00:00:00Z');
for (const e of ordersGenerator.generate({ count: orders, seed: 3, start })) {
  const t = Date.parse(String(e.timestamp));
  last = Math.max(last, t);
  const data = e.data as { customer_id?: string; name?: string };
  batch.push({
    source: 'orders',
    id: String(e.id),
    type: String(e.type),
    subject: String(e.aggregate_id),
    time: t,
    data: JSON.stringify(data),
    receivedAt: t,
  });
  seq++;
  if (e.type !== 'customer_registered')
    csv.write(
      `${seq},${e.aggregate_id},${e.type},${e.timestamp},${data.customer_id ?? ''},${data.name ?? ''}\n`,
    );
  if (batch.length === 20_000) {
    await runtime.store.append(batch);
    batch = [];
  }
}
await runtime.store.append(batch);
await new Promise((r) => csv.end(r));
process.stdout.write(`${seq.toLocaleString('en-US')} events loaded into both stores\n`);

// A window of one day before the last event: every order's state as of the end is computed either way.
const end = new Date(last);
const offsetSeconds = 86_400;
const ours: number[] = [];
const theirs: number[] = [];
let oursRows = '';
let theirRows = '';
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  const counts: number[] = [];
  for (const name of ['age', 'status', 'estimate'])
    counts.push((await runner.compute(name, { end, offset: '1d' })).rows.length);
  ours.push((performance.now() - t) / 1000);
  oursRows = counts.join('/');
  const out = JSON.parse(
    execFileSync(
      python,
      [
        path.join(import.meta.dirname, 'reports_pandas.py'),
        csvPath,
        end.toISOString(),
        String(offsetSeconds),
      ],
      { encoding: 'utf8' },
    ),
  );
  theirs.push(out.seconds);
  theirRows = `${out.age}/${out.status}/${out.estimate}`;
  process.stdout.write(
    `run ${r + 1}: panoramix ${fmt(ours[r]!)} s (rows ${oursRows}), pandas ${fmt(theirs[r]!)} s (rows ${theirRows})\n`,
  );
}
if (oursRows !== theirRows)
  process.stdout.write(`WARNING: row counts differ (${oursRows} vs ${theirRows})\n`);
printComparison('three reports, speed-up over pandas (x)', median(theirs) / median(ours), 1, 'x', '>= 10');
process.stdout.write(`medians: panoramix ${fmt(median(ours))} s, pandas ${fmt(median(theirs))} s\n`);
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });
