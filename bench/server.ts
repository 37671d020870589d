// npm run bench -- server [--events 200000] [--quick]
// Server-mode ingest (a `serve` collector, the NATS JetStream log, one then two `work` processes, PostgreSQL)
// next to PostgreSQL's own COPY of the same rows through psql (the store's limit) and a bare JetStream publish
// loop (the log's limit), in the same run. Needs PANORAMIX_TEST_POSTGRES_URL and PANORAMIX_TEST_NATS_URL.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { exited, freePort, spawnCli, waitForHttp } from '../test/support/process.js';
import { opt, quick } from './_args.js';
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

async function serverRun(workers: number): Promise<number> {
  const tag = `bsrv${process.pid}w${workers}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-'));
  const cfg = path.join(dir, 'panoramix.yaml');
  const port = await freePort();
  fs.writeFileSync(
    cfg,
    `store: { engine: postgres, url: "${pgUrl}", schema: ${tag} }\nlog: { url: "${natsUrl}", stream: ${tag.toUpperCase()}, subject: ${tag}.events }\nsources: { web: { writeKeys: [${KEY}] } }\n`,
  );
  const serve = spawnCli(['serve', '--config', cfg, '--port', String(port)]);
  const work = Array.from({ length: workers }, () => spawnCli(['work', '--config', cfg]));
  await waitForHttp(`http://127.0.0.1:${port}/status`, serve);
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  const t = performance.now();
  const clients = Array.from({ length: 4 }, async (_, c) => {
    for (let b = c; b * 1000 < n; b += 4) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
        body: body(b * 1000, Math.min(1000, n - b * 1000)),
      });
      if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
    }
  });
  await Promise.all(clients);
  for (;;) {
    const c = Number(
      (await db.query(`SELECT count(*) AS n FROM ${tag}.events`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0]
        .n,
    );
    if (c >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rate = n / ((performance.now() - t) / 1000);
  for (const p of [serve, ...work]) p.kill('SIGTERM');
  for (const p of [serve, ...work]) await exited(p);
  await db.query(`DROP SCHEMA ${tag} CASCADE`);
  await db.end();
  const nc = await connect({ servers: natsUrl });
  await (await jetstreamManager(nc)).streams.delete(tag.toUpperCase()).catch(() => undefined);
  await nc.close();
  return rate;
}

async function copyBaseline(): Promise<number> {
  const file = path.join(os.tmpdir(), `pmx-copy-${process.pid}.csv`);
  const now = new Date().toISOString();
  fs.writeFileSync(
    file,
    Array.from(
      { length: n },
      (_, k) => `${k + 1},0,web,e${k},page_viewed,u${k % 997},${now},${now},"{""k"": ${k}}"`,
    ).join('\n') + '\n',
  );
  const schema = `bcopy${process.pid}`;
  const psql = (sql: string) =>
    execFileSync('psql', [pgUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  psql(
    `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.events (seq BIGINT, key_hash BIGINT, source TEXT, id TEXT, type TEXT, subject TEXT, time TIMESTAMPTZ, received_at TIMESTAMPTZ, data JSONB, PRIMARY KEY (source, id))`,
  );
  const t = performance.now();
  psql(`\\copy ${schema}.events FROM '${file}' WITH (FORMAT csv)`);
  const rate = n / ((performance.now() - t) / 1000);
  psql(`DROP SCHEMA ${schema} CASCADE`);
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
  for (let b = 0; b * 1000 < n; b++)
    acks.push(js.publish(`bpub${process.pid}`, body(b * 1000, Math.min(1000, n - b * 1000))));
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
const one = await serverRun(1);
const two = await serverRun(2);
printComparison('1 worker vs psql COPY (events/s)', one, copy, 'ev/s');
printComparison('2 workers vs psql COPY (events/s)', two, copy, 'ev/s');
printComparison('2 workers vs bare JetStream publish (events/s)', two, pub, 'ev/s');
process.exit(0);
