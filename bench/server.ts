// npm run bench -- server [--events 200000] [--quick]
// Server-mode ingest (a `serve` collector, the NATS JetStream log, one then two `work` processes, PostgreSQL)
// next to PostgreSQL's own COPY of the same rows through psql into the same partitioned table (the store's
// limit) and a bare JetStream publish
// loop (the log's limit), in the same run; then 4 serve + 4 work processes. Each run also prints the latency
// from a request's 2xx to its events being readable in /v1/events, and the share of a core each process
// used (what limits the run). Needs PANORAMIX_TEST_POSTGRES_URL and PANORAMIX_TEST_NATS_URL.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { exited, freePort, spawnCli, waitForHttp } from '../test/support/process.js';
import { opt, quick } from './_args.js';
import { cpuSeconds, cpuSecondsByName } from './_cpu.js';
import { printComparison } from './_report.js';

const n = opt('events', quick ? 50_000 : 200_000);
const pgUrl = process.env.PANORAMIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.PANORAMIX_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const KEY = 'wk_bench_server_key';
const body = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) =>
    JSON.stringify({
      id: `e${from + k}`,
      type: 'page_viewed',
      subject: `u${(from + k) % 997}`,
      data: { k: from + k },
    }),
  ).join('\n');

// The requests' bodies, made once: building them during a run took the load generator's CPU from the cores
// the processes under test share.
const bodies = Array.from({ length: Math.ceil(n / 1000) }, (_, b) =>
  body(b * 1000, Math.min(1000, n - b * 1000)),
);

// Requests through node:http on kept-alive connections: fetch cost the load generator, on the cores the
// processes under test share, about twice as much CPU per request.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(
  port: number,
  method: string,
  pathname: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathname,
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A server-mode run's figures: throughput from the first request to the last row committed, and more. */
interface RunResult {
  readonly rate: number;
  /** From a request's 2xx to its last event being visible in GET /v1/events, ms (sampled requests). */
  readonly visibleMs: number[];
  /** CPU seconds over the run: per serve and work process, and of all PostgreSQL and NATS processes. */
  readonly cpu: {
    serve: number[];
    work: number[];
    postgres: number;
    nats: number;
    /** This process: the load generator and the latency poller, which share the machine. */
    load: number;
    seconds: number;
  };
}

// Every SAMPLE_EVERY-th request is followed until its last event can be read back, by one poller that asks
// the events route for the oldest followed request every POLL_MS (the resolution of the latency figures)
// and, once it is visible, for the next at once. A poller per request, each every 5 ms, sent PostgreSQL more
// queries than the run's appends and took half of the collector's core.
const SAMPLE_EVERY = 5;
const POLL_MS = 5;

async function serverRun(serves: number, workers: number): Promise<RunResult> {
  const tag = `bsrv${process.pid}s${serves}w${workers}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-'));
  const cfg = path.join(dir, 'panoramix.yaml');
  fs.writeFileSync(
    cfg,
    `store: { engine: postgres, url: "${pgUrl}", schema: ${tag} }\nlog: { url: "${natsUrl}", stream: ${tag.toUpperCase()}, subject: ${tag}.events }\nsources: { web: { writeKeys: [${KEY}] } }\n`,
  );
  const ports = await Promise.all(Array.from({ length: serves }, () => freePort()));
  const serve = ports.map((port) => spawnCli(['serve', '--config', cfg, '--port', String(port)]));
  const work = Array.from({ length: workers }, () => spawnCli(['work', '--config', cfg]));
  for (const [i, port] of ports.entries()) await waitForHttp(`http://127.0.0.1:${port}/status`, serve[i]!);
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  const cpu0 = [...serve, ...work].map((p) => cpuSeconds(p.pid));
  const services0 = serviceCpu();
  const load0 = process.cpuUsage();
  const visibleMs: number[] = [];
  const followed: { port: number; id: string; okAt: number }[] = [];
  let sending = true;
  const poller = (async () => {
    while (sending || followed.length) {
      const head = followed[0];
      if (head) {
        const res = await request(head.port, 'GET', `/v1/events?source=web&id=${head.id}&limit=1`);
        if ((JSON.parse(res.text) as { events: unknown[] }).events.length > 0) {
          visibleMs.push(performance.now() - head.okAt);
          followed.shift();
          continue;
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  const t = performance.now();
  const clients = Array.from({ length: 4 * serves }, async (_, c) => {
    const port = ports[c % serves]!;
    for (let b = c; b * 1000 < n; b += 4 * serves) {
      const count = Math.min(1000, n - b * 1000);
      const res = await request(port, 'POST', '/v1/events', bodies[b]!, {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/x-ndjson',
      });
      if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
      if (b % SAMPLE_EVERY === 0)
        followed.push({ port, id: `e${b * 1000 + count - 1}`, okAt: performance.now() });
    }
  });
  await Promise.all(clients);
  sending = false;
  // Watched through the last seq given out, which each append moves in its commit: every event is new, so
  // seqs run 1..n. A count(*) every 100 ms scanned the growing table and took a quarter of PostgreSQL's
  // time, and max(seq) walked past the rows of the append in flight; the count is checked once at the end.
  for (;;) {
    const top = await db
      .query(`SELECT coalesce(max(seq), 0) AS n FROM ${tag}.event_seq_floor`)
      .catch(() => ({ rows: [{ n: 0 }] }));
    if (Number(top.rows[0].n) >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - t) / 1000;
  const rate = n / seconds;
  const used = [...serve, ...work].map((p, i) => cpuSeconds(p.pid) - cpu0[i]!);
  const services = serviceCpu();
  const load = process.cpuUsage(load0);
  const stored = Number((await db.query(`SELECT count(*) AS n FROM ${tag}.events`)).rows[0].n);
  if (stored !== n) throw new Error(`${stored} events stored, ${n} sent`);
  await poller;
  for (const p of [...serve, ...work]) p.kill('SIGTERM');
  for (const p of [...serve, ...work]) await exited(p);
  await db.query(`DROP SCHEMA ${tag} CASCADE`);
  await db.end();
  const nc = await connect({ servers: natsUrl });
  await (await jetstreamManager(nc)).streams.delete(tag.toUpperCase()).catch(() => undefined);
  await nc.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    rate,
    visibleMs,
    cpu: {
      serve: used.slice(0, serves),
      work: used.slice(serves),
      postgres: services.postgres - services0.postgres,
      nats: services.nats - services0.nats,
      load: (load.user + load.system) / 1e6,
      seconds,
    },
  };
}

// CPU seconds of this machine's PostgreSQL and NATS server: what the store and the log cost during a run.
function serviceCpu(): { postgres: number; nats: number } {
  const by = cpuSecondsByName(['postgres', 'nats-server']);
  return { postgres: by.postgres!, nats: by['nats-server']! };
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

// What each process did with the run's time: the share of one core it used (1.00 = a core all the run).
function describeRun(label: string, r: RunResult): void {
  const share = (xs: number[]) => xs.map((x) => (x / r.cpu.seconds).toFixed(2)).join(' ');
  process.stdout.write(
    `${label}: 2xx to visible in /v1/events p50 ${percentile(r.visibleMs, 50).toFixed(0)} ms, p99 ${percentile(r.visibleMs, 99).toFixed(0)} ms (${r.visibleMs.length} requests sampled); cores used: serve ${share(r.cpu.serve)}, work ${share(r.cpu.work)}, PostgreSQL ${share([r.cpu.postgres])}, NATS ${share([r.cpu.nats])}, load generator ${share([r.cpu.load])}\n`,
  );
}

/**
 * psql's COPY of the same rows into the same partitioned table: the store's own events table (its month
 * partition, its four indexes), made by the store's migrations in a schema of its own. It was a plain table
 * with one index, which COPY fills in about half the time.
 */
async function copyBaseline(): Promise<number> {
  const file = path.join(os.tmpdir(), `pmx-copy-${process.pid}.csv`);
  const now = new Date().toISOString();
  fs.writeFileSync(
    file,
    Array.from(
      { length: n },
      (_, k) => `${k + 1},0,web,e${k},page_viewed,u${k % 997},${now},${now},"{""k"": ${k}}",web,`,
    ).join('\n') + '\n',
  );
  const schema = `bcopy${process.pid}`;
  const store = await PostgresStore.open({ url: pgUrl, schema });
  // One event through the store makes this month's partition; the COPY's rows come after it.
  await store.append([
    {
      source: 'web',
      id: 'first',
      type: 'page_viewed',
      subject: null,
      time: Date.now(),
      receivedAt: Date.now(),
      data: '{}',
    },
  ]);
  await store.close();
  const psql = (sql: string) =>
    execFileSync('psql', [pgUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  const columns =
    'seq, key_hash, source, id, type, subject, time, received_at, data, ce_source, ce_attributes';
  const t = performance.now();
  psql(`\\copy ${schema}.events (${columns}) FROM '${file}' WITH (FORMAT csv)`);
  const rate = n / ((performance.now() - t) / 1000);
  psql(`SET client_min_messages = warning; DROP SCHEMA ${schema} CASCADE`);
  fs.rmSync(file);
  return rate;
}

async function publishBaseline(): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  const name = `BPUB${process.pid}`;
  await jsm.streams.add({ name, subjects: [`bpub${process.pid}`] });
  const js = jetstream(nc);
  const t = performance.now();
  const acks: Promise<unknown>[] = [];
  for (let b = 0; b * 1000 < n; b++) acks.push(js.publish(`bpub${process.pid}`, bodies[b]!));
  await Promise.all(acks);
  const rate = n / ((performance.now() - t) / 1000);
  await jsm.streams.delete(name);
  await nc.close();
  return rate;
}

process.stdout.write(
  `server-mode benchmark: ${n.toLocaleString('en-US')} events, ${os.cpus().length} cores\n`,
);
const copy = await copyBaseline();
const pub = await publishBaseline();
const one = await serverRun(1, 1);
const two = await serverRun(1, 2);
const scale = await serverRun(4, 4);
printComparison('1 worker vs psql COPY (events/s)', one.rate, copy, 'ev/s');
printComparison('2 workers vs psql COPY (events/s)', two.rate, copy, 'ev/s', '>= 0.5');
printComparison('2 workers vs bare JetStream publish (events/s)', two.rate, pub, 'ev/s');
printComparison('4 serve + 4 work vs psql COPY (events/s)', scale.rate, copy, 'ev/s');
describeRun('1 serve + 1 work', one);
describeRun('1 serve + 2 work', two);
describeRun('4 serve + 4 work', scale);
process.exit(0);
