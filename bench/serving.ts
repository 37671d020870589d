// npm run bench -- serving [--keys 1000000] [--speed 100000] [--seconds 8] [--connections 16] [--quick]
// Projection reads at saturation, served by `panoramix start` in its own process, with the load generator
// (autocannon) in this one, on the same machine. Each figure is printed beside two baselines from the same run:
// a bare Node HTTP server answering the same JSON bytes (HTTP's own ceiling here), and the store's own prepared
// point query for the same rows on one connection, without HTTP (the engine's ceiling). Needs `npm run build`.
// With PANORAMIX_TEST_POSTGRES_URL set, the same run on the PostgreSQL store follows.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import autocannon from 'autocannon';
import pg from 'pg';
import { pino } from 'pino';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { projectionEngine } from '../src/project/service.js';
import { CLI, exited, freePort, spawnCli, waitForHttp } from '../test/support/process.js';
import { opt, quick } from './_args.js';
import { fmt } from './_report.js';

const keys = opt('keys', quick ? 100_000 : 1_000_000);
const speed = opt('speed', quick ? 20_000 : 100_000);
const seconds = opt('seconds', quick ? 4 : 8);
const connections = opt('connections', 16);
const pgUrl = process.env.PANORAMIX_TEST_POSTGRES_URL;
const TOKEN = 'rt_bench_serving';
const COUNTRIES = ['FR', 'DE', 'NL', 'ES', 'IT', 'PL', 'SE', 'PT'];

const projections = `
projections:
  users:
    shape: latest
    key: { user_id: subject }
    columns: { country: data.country, plan: data.plan, last_type: type, last_seen: time }
  per_hour:
    shape: aggregate
    dimensions: { hour: hour(time), country: data.country }
    measures: { events: count(), revenue: sum(data.amount) }
`;

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

// Random keys, present ones: each request asks for another user.
async function load(base: string, pathOf: () => string, headers: Record<string, string>): Promise<Load> {
  const res = await autocannon({
    url: base,
    connections,
    duration: seconds,
    headers,
    requests: [{ setupRequest: (req) => ({ ...req, path: pathOf() }) }],
  });
  return {
    rps: res.requests.average,
    p50: res.latency.p50,
    p99: res.latency.p99,
    errors: res.non2xx + res.errors + res.timeouts,
  };
}

const randomUser = () => `u${Math.floor(Math.random() * keys)}`;
const paths = {
  keyed: () => `/v1/projections/users?user_id=${randomUser()}`,
  page: () =>
    `/v1/projections/per_hour?country=${COUNTRIES[Math.floor(Math.random() * 8)]}&sort=-hour&limit=50`,
};

function event(k: number, prefix: string, t0: number): NewEvent {
  const time = t0 + k * 1000;
  return {
    source: 'web',
    id: `${prefix}${k}`,
    type: k % 5 === 0 ? 'order_placed' : 'page_viewed',
    subject: `u${k % keys}`,
    time,
    data: `{"country":"${COUNTRIES[k % 8]}","plan":"p${k % 3}","amount":${(k % 1000) / 10}}`,
    receivedAt: time,
  };
}

// Loads `keys` users into the batch (one event each, then a build) and `speed` more events into the speed layer.
async function prepare(storeYaml: string, dir: string): Promise<void> {
  const config = parseConfig(`${storeYaml}\n${projections}`);
  const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
  const engine = await projectionEngine(runtime);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const t = performance.now();
  for (let i = 0; i < keys; i += 20_000)
    await runtime.store.append(
      Array.from({ length: Math.min(20_000, keys - i) }, (_, j) => event(i + j, 'b', t0)),
    );
  for (const name of engine.plans.keys()) await engine.rebuild(name);
  // Speed events go to random users, so the speed table holds keys scattered over the whole range.
  for (let i = 0; i < speed; i += 20_000) {
    await runtime.store.append(
      Array.from({ length: Math.min(20_000, speed - i) }, (_, j) => ({
        ...event(Math.floor(Math.random() * keys), `s${i + j}_`, t0 + 86_400_000),
      })),
    );
    await engine.fold();
  }
  process.stdout.write(
    `  loaded ${keys.toLocaleString('en-US')} keys + ${speed.toLocaleString('en-US')} speed events in ${fmt((performance.now() - t) / 1000)} s\n`,
  );
  await runtime.close();
}

// The bare server answers every request with the same bytes a keyed read answers.
async function bareServer(body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

// The store's own prepared point query for the same row, on one connection, for `seconds`: queries/s and p99.
async function storeBaseline(query: (key: string) => Promise<unknown>): Promise<Load> {
  const lat: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t = performance.now();
    await query(randomUser());
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return {
    rps: lat.length / seconds,
    p50: lat[Math.floor(lat.length * 0.5)]!,
    p99: lat[Math.floor(lat.length * 0.99)]!,
    errors: 0,
  };
}

async function duckdbBaseline(file: string): Promise<Load> {
  const instance = await DuckDBInstance.create(file);
  const c = await instance.connect();
  const name = (
    await (
      await c.runAndReadAll(
        `SELECT tables FROM panoramix_projections WHERE name = 'users' AND status = 'active'`,
      )
    ).getRowObjectsJS()
  )[0]!.tables as string;
  const batch = (JSON.parse(name) as string[])[0]!;
  const st = await c.prepare(`SELECT * FROM ${batch} WHERE user_id = $1`);
  const out = await storeBaseline(async (k) => {
    st.bind([k]);
    return (await st.runAndReadAll()).getRowObjectsJS();
  });
  c.closeSync();
  instance.closeSync();
  return out;
}

async function postgresBaseline(url: string, schema: string): Promise<Load> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const r = await db.query(
    `SELECT tables FROM ${schema}.panoramix_projections WHERE name = 'users' AND status = 'active'`,
  );
  const batch = (JSON.parse(r.rows[0].tables) as string[])[0]!;
  const out = await storeBaseline((k) =>
    db.query({
      name: 'bench_point',
      text: `SELECT * FROM ${schema}.${batch} WHERE user_id = $1`,
      values: [k],
    }),
  );
  await db.end();
  return out;
}

function line(label: string, ours: Load, bare: Load, store: Load, target: string): void {
  process.stdout.write(
    `${label.padEnd(30)} ${fmt(ours.rps).padStart(7)} req/s  p50 ${fmt(ours.p50)} ms  p99 ${fmt(ours.p99)} ms  errors ${ours.errors}` +
      `   | bare HTTP ${fmt(bare.rps)} req/s p99 ${fmt(bare.p99)} ms (ratio ${(ours.rps / bare.rps).toFixed(2)})` +
      `   | store point query ${fmt(store.rps)} q/s p99 ${fmt(store.p99)} ms (ratio ${(ours.rps / store.rps).toFixed(2)})   (target ${target})\n`,
  );
}

async function run(engineName: 'duckdb' | 'postgres'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-serving-'));
  const schema = `bench_serving_${process.pid}`;
  const storeYaml =
    engineName === 'duckdb'
      ? `store: { path: ${path.join(dir, 'serving.duckdb')} }`
      : `store: { engine: postgres, url: "${pgUrl}", schema: ${schema} }`;
  process.stdout.write(`\n${engineName}:\n`);
  await prepare(storeYaml, dir);

  const store =
    engineName === 'duckdb'
      ? await duckdbBaseline(path.join(dir, 'serving.duckdb'))
      : await postgresBaseline(pgUrl!, schema);

  const cfg = path.join(dir, 'panoramix.yaml');
  fs.writeFileSync(
    cfg,
    `${storeYaml}\nserver: { readTokens: [${TOKEN}] }\nsources: { web: { writeKeys: [wk_bench] } }\n${projections}`,
  );
  const port = await freePort();
  // PANORAMIX_BENCH_PROFILE=DIR writes the server's CPU profile there (open it in Chrome's DevTools).
  const profile = process.env.PANORAMIX_BENCH_PROFILE;
  const args = ['start', '--config', cfg, '--port', String(port)];
  const server = profile
    ? spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profile}`, CLI, ...args], {
        env: { ...process.env, PANORAMIX_LOG_LEVEL: 'warn' },
        stdio: 'inherit',
      })
    : spawnCli(args, { PANORAMIX_LOG_LEVEL: 'warn' });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(
    `${base}/status`,
    profile ? undefined : (server as unknown as { output: () => string }),
    120_000,
  );
  const headers = { authorization: `Bearer ${TOKEN}` };
  const sample = await (await fetch(`${base}${paths.keyed()}`, { headers })).text();
  const bare = await bareServer(sample);
  const bareLoad = await load(bare.url, paths.keyed, headers);
  await bare.close();
  // A short warm-up, so the first figure is not the JIT's.
  await load(base, paths.keyed, headers).catch(() => undefined);
  const keyed = await load(base, paths.keyed, headers);
  line(
    `keyed lookup (${keys.toLocaleString('en-US')} keys)`,
    keyed,
    bareLoad,
    store,
    '>= 5,000 req/s, p99 <= 10 ms',
  );
  // The figure counts only answers that hold their row: random present keys each answer exactly it.
  for (let i = 0; i < 200; i++) {
    const user = randomUser();
    const got = (await (await fetch(`${base}/v1/projections/users?user_id=${user}`, { headers })).json()) as {
      rows: { user_id: string }[];
    };
    if (got.rows.length !== 1 || got.rows[0]!.user_id !== user)
      throw new Error(`keyed read of ${user} answered ${JSON.stringify(got).slice(0, 300)}`);
  }
  const metrics = await (await fetch(`${base}/metrics`, { headers })).text();
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
  process.stdout.write(
    `  server memory ${fmt(gauge('process_resident_memory_bytes') / 2 ** 20)} MiB resident, heap ${fmt(gauge('nodejs_heap_size_used_bytes') / 2 ** 20)} MiB; keys held in memory: ${gauge('panoramix_projection_replica_keys') || 0}\n`,
  );
  const page = await load(base, paths.page, headers);
  line('filtered page (50 rows)', page, bareLoad, store, '>= 2,000 req/s, p99 <= 20 ms');
  const freshness = (await (await fetch(`${base}${paths.keyed()}`, { headers })).json()) as {
    freshness: { watermark: number; speedEvents: number };
  };
  process.stdout.write(
    `  answers carry their freshness: watermark ${freshness.freshness.watermark}, speed events ${freshness.freshness.speedEvents}\n`,
  );
  server.kill('SIGTERM');
  await exited(server);
  if (engineName === 'postgres') {
    const db = new pg.Client({ connectionString: pgUrl });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(
  `serving benchmark: ${os.cpus().length} cores, ${connections} connections for ${seconds} s per figure, load generator on the same machine\n`,
);
await run('duckdb');
if (pgUrl) await run('postgres');
else process.stdout.write('\npostgres: skipped (set PANORAMIX_TEST_POSTGRES_URL to measure it)\n');
