import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { leaderLockKeys } from '../src/store/postgres/leader-lock.js';
import { exited, freePort, spawnCli } from './support/process.js';
import { describeWith, serviceUrl } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

const KEY = 'wk_server_faults_test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Server mode with its dependencies cut under it, through the test's own TCP proxies in front of the real
// NATS and PostgreSQL. Before, `serve` and `work` exited 1 on either cut, and the batch leader on its lock's.
describeWith('nats', 'server mode when NATS or PostgreSQL goes away', (natsUrl) => {
  const pgUrl = serviceUrl('postgres')!;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  // A project whose processes reach NATS and PostgreSQL only through the proxies; reconnects are quick.
  async function project(tag: string) {
    const nats = await startTcpProxy('127.0.0.1', Number(new URL(natsUrl).port || 4222));
    const postgres = await startTcpProxy('127.0.0.1', Number(new URL(pgUrl).port || 5432));
    const dir = tempDir();
    const cfg = path.join(dir, 'panoramix.yaml');
    fs.writeFileSync(
      cfg,
      `store: { engine: postgres, url: "${postgres.url(pgUrl)}", schema: ${tag} }
log: { url: "${nats.url(natsUrl)}", stream: ${tag.toUpperCase()}, subject: ${tag}.events, ackWaitSeconds: 5 }
reconnect: { initial: 100ms, max: 1s, jitter: 0.2 }
sources:
  web: { writeKeys: [${KEY}] }
`,
    );
    const db = new pg.Client({ connectionString: pgUrl });
    await db.connect();
    const procs: ReturnType<typeof spawnCli>[] = [];
    cleanups.push(async () => {
      await stopAll(procs);
      await db.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
      await db.end();
      const nc = await connect({ servers: natsUrl });
      await (await jetstreamManager(nc)).streams.delete(tag.toUpperCase()).catch(() => undefined);
      await nc.close();
      await nats.close();
      await postgres.close();
    });
    const spawn = (...args: string[]) => {
      const p = spawnCli([...args, '--config', cfg], { PANORAMIX_LOG_LEVEL: 'info' });
      procs.push(p);
      return p;
    };
    running = procs;
    return { nats, postgres, db, spawn, procs };
  }

  async function status(port: number): Promise<{ code: number; body: StatusBody } | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      return { code: res.status, body: (await res.json()) as StatusBody };
    } catch {
      return null;
    }
  }

  let running: ReturnType<typeof spawnCli>[] = [];
  async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await ok()) return;
      await sleep(100);
    }
    const outputs = running.map((p, i) => `--- process ${i}:\n${p.output().slice(-3000)}`).join('\n');
    throw new Error(`timed out waiting for ${what}\n${outputs}`);
  }

  it('keeps 2 serve, 1 work and 1 batch running through a 3 s NATS cut and a 3 s PostgreSQL cut', async () => {
    const tag = `sf${process.pid}${Date.now() % 100000}`;
    const { nats, postgres, db, spawn, procs } = await project(tag);
    const ports = [await freePort(), await freePort()];
    for (const p of ports) spawn('serve', '--port', String(p));
    spawn('work');
    const batch = spawn('batch', '--poll', '200');
    for (const p of ports) await until(`serve on ${p}`, async () => (await status(p))?.code === 200);
    await until('a batch leader', () => batch.output().includes('became the batch leader'));

    // Four clients send batches of 20 events to both collectors until told to stop.
    const answers: { at: number; end: number; status: number | 'reset'; retryAfter: string | null }[] = [];
    const acked = new Set<string>();
    let running = true;
    let next = 0;
    const client = async (c: number) => {
      while (running) {
        const ids = Array.from({ length: 20 }, () => `e${next++}`);
        const at = Date.now();
        try {
          const res = await fetch(`http://127.0.0.1:${ports[c % 2]}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
            body: ids.map((id) => JSON.stringify({ id, type: 'fault_test', data: {} })).join('\n'),
          });
          await res.arrayBuffer();
          answers.push({
            at,
            end: Date.now(),
            status: res.status,
            retryAfter: res.headers.get('retry-after'),
          });
          if (res.ok) for (const id of ids) acked.add(id);
          else await sleep(50);
        } catch {
          answers.push({ at, end: Date.now(), status: 'reset', retryAfter: null });
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await sleep(1500);
    const natsCut = Date.now();
    const cutting = nats.cutFor(3000);
    // Reads need only PostgreSQL: they keep working while the log is gone.
    await sleep(1000);
    const read = await fetch(`http://127.0.0.1:${ports[0]}/v1/events?limit=1`);
    expect(read.status).toBe(200);
    await cutting;
    const natsHealed = Date.now();
    await until('ingest answering 200 again', () =>
      answers.some((a) => a.at > natsHealed && a.status === 200),
    );
    await sleep(1000);
    const pgCut = Date.now();
    const cuttingPg = postgres.cutFor(3000);
    // A read that needs the store says it is unreachable, with a retry, not an internal error.
    await sleep(1000);
    const unreadable = await fetch(`http://127.0.0.1:${ports[1]}/v1/events?limit=1`);
    expect([unreadable.status, Boolean(unreadable.headers.get('retry-after'))]).toEqual([503, true]);
    await cuttingPg;
    const pgHealed = Date.now();
    await sleep(2000);
    running = false;
    await Promise.all(clients);

    // Nothing exited, and every request was answered.
    expect(procs.map((p) => p.exitCode ?? p.signalCode)).toEqual([null, null, null, null]);
    expect(answers.filter((a) => a.status === 'reset')).toEqual([]);
    // Inside the NATS cut (past the moment the collectors notice it), every answer is a 503 with Retry-After.
    const during = answers.filter((a) => a.at > natsCut + 500 && a.end < natsHealed);
    expect(during.length).toBeGreaterThan(10);
    expect(during.filter((a) => a.status !== 503 || !a.retryAfter)).toEqual([]);
    // The PostgreSQL cut is the workers' and the leader's: collectors keep accepting into the log.
    expect(
      answers.filter((a) => a.at > pgCut && a.end < pgHealed && a.status === 200).length,
    ).toBeGreaterThan(0);
    expect(answers.filter((a) => a.at > pgHealed + 1000).every((a) => a.status === 200)).toBe(true);

    // Every event answered 2xx is stored, once.
    await db.query(`SET search_path TO ${tag}`);
    await until(
      'every acknowledged event stored',
      async () => {
        const { rows } = await db.query('SELECT count(*)::int AS n FROM events WHERE id = ANY($1::text[])', [
          [...acked],
        ]);
        return rows[0].n === acked.size;
      },
      30_000,
    );
    const dup = await db.query('SELECT id FROM events GROUP BY source, id HAVING count(*) > 1');
    expect(dup.rows).toEqual([]);

    // The leader lost its lock with the PostgreSQL cut, stopped, and leads again: one holder of the lock.
    await until(
      'the leader to lead again',
      () => batch.output().split('became the batch leader').length === 3,
    );
    expect(batch.output()).toContain('lost the batch leader lock');
    const [classid, objid] = leaderLockKeys(tag);
    const holders = await db.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND granted",
      [classid, objid],
    );
    expect(holders.rows[0].n).toBe(1);
    for (const p of ports) await until(`/status 200 on ${p}`, async () => (await status(p))?.code === 200);
    // /metrics: each collector's log connection is up again and counts its reconnect.
    for (const p of ports) {
      const metrics = await (await fetch(`http://127.0.0.1:${p}/metrics`)).text();
      expect(metrics).toContain('panoramix_connection_up{connection="log (NATS)"} 1');
      expect(metrics).toMatch(/panoramix_connection_reconnects_total\{connection="log \(NATS\)"\} [1-9]/);
      expect(metrics).toContain('panoramix_connection_up{connection="store (PostgreSQL)"} 1');
    }
    // One log line per change of state, not one per retry: the cut is a few lines, not one per attempt.
    for (const p of procs)
      expect(p.output().split('unreachable; retrying').length - 1).toBeLessThanOrEqual(4);
    // And each still stops when asked, with exit 0.
    expect(await stopAll(procs)).toEqual([0, 0, 0, 0]);
  }, 90_000);

  it('starts a collector and a worker while PostgreSQL and NATS are unreachable, and serves once they are back', async () => {
    const tag = `sg${process.pid}${Date.now() % 100000}`;
    const { nats, postgres, db, spawn, procs } = await project(tag);
    postgres.cut();
    nats.cut();
    const port = await freePort();
    const t0 = Date.now();
    spawn('serve', '--port', String(port));
    spawn('work');
    await until('/status to answer', async () => (await status(port)) !== null, 30_000);
    // From its first answer on, /status is 503 and names the store; once an attempt failed, with its error
    // and the time of the next one.
    const seen: { code: number; body: StatusBody }[] = [];
    await until('/status to name the error', async () => {
      const s = (await status(port))!;
      seen.push(s);
      return Boolean(s.body.checks.find((c) => c.name === 'store (PostgreSQL)')?.lastError);
    });
    expect(seen.map((s) => s.code)).toEqual(seen.map(() => 503));
    const down = seen.at(-1)!.body.checks.find((c) => c.name === 'store (PostgreSQL)');
    expect(down).toMatchObject({ ok: false, status: 'down' });
    expect(Date.parse(down?.nextRetryAt ?? '')).toBeGreaterThan(t0);
    await sleep(Math.max(0, 8000 - (Date.now() - t0)));
    expect((await status(port))?.code).toBe(503);
    postgres.heal();
    // PostgreSQL is back, NATS not yet: the app serves, /status names the log, ingest is refused with a retry.
    await until(
      '/status to name the log',
      async () => {
        const s = await status(port);
        return s?.body.checks.find((c) => c.name === 'log (NATS)')?.status === 'down' && !s.body.starting;
      },
      15_000,
    );
    const refused = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'before-nats', type: 'fault_test', data: {} }),
    });
    expect([refused.status, Boolean(refused.headers.get('retry-after'))]).toEqual([503, true]);
    expect(((await refused.json()) as { error: string }).error).toContain('the log (NATS) is unreachable');
    nats.heal();
    await until('/status 200', async () => (await status(port))?.code === 200, 15_000);
    const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'after-start', type: 'fault_test', data: {} }),
    });
    expect(res.status).toBe(200);
    await db.query(`SET search_path TO ${tag}`);
    await until('the event stored by the worker', async () => {
      const { rows } = await db.query("SELECT count(*)::int AS n FROM events WHERE id = 'after-start'");
      return rows[0].n === 1;
    });
    expect(procs.map((p) => p.exitCode ?? p.signalCode)).toEqual([null, null]);
  }, 60_000);

  it('exits 1 on a configuration error the database reports, naming it, instead of retrying', async () => {
    const dir = tempDir();
    const cfg = path.join(dir, 'panoramix.yaml');
    const url = new URL(pgUrl);
    url.pathname = '/no_such_database_here';
    fs.writeFileSync(
      cfg,
      `store: { engine: postgres, url: "${url}" }\nlog: { url: "${natsUrl}", stream: NOPE, subject: nope.events }\n`,
    );
    const work = spawnCli(['work', '--config', cfg]);
    expect(await exited(work)).toBe(1);
    expect(work.output()).toContain(
      'the store could not be opened: database "no_such_database_here" does not exist',
    );
  }, 30_000);
});

// SIGTERM, then SIGKILL for a process that has not exited 15 s later; their exit codes (or signals).
async function stopAll(procs: ReturnType<typeof spawnCli>[]): Promise<(number | string)[]> {
  for (const c of procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const c of procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }, 15_000);
  try {
    return await Promise.all(procs.map(exited));
  } finally {
    clearTimeout(killer);
  }
}

interface StatusBody {
  starting?: boolean;
  checks: { name: string; ok: boolean; status: string; lastError?: string; nextRetryAt?: string }[];
}
