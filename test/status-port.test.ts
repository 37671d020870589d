import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { exited, freePort, spawnCli } from './support/process.js';
import { describeWith, serviceUrl } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// `work` and `batch` serve no API; with --status-port an orchestrator and Prometheus still see them: 503 naming
// the store while it is out of reach, then the process's own checks (the log, the store) and metrics.
describeWith('nats', 'status port of work and batch', (natsUrl) => {
  const pgUrl = serviceUrl('postgres')!;
  const tag = `pmx_status_port_${process.pid}`;
  const procs: ReturnType<typeof spawnCli>[] = [];
  const closing: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const c of closing.reverse()) await c().catch(() => undefined);
  });

  it('answers 503 naming the store while it is unreachable, then the checks and metrics of the process', async () => {
    const postgres = await startTcpProxy('127.0.0.1', Number(new URL(pgUrl).port || 5432));
    postgres.cut();
    const db = new pg.Client({ connectionString: pgUrl });
    await db.connect();
    closing.push(
      () => postgres.close(),
      async () => {
        await db.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
        await db.end();
        const nc = await connect({ servers: natsUrl });
        await (await jetstreamManager(nc)).streams.delete(tag.toUpperCase()).catch(() => undefined);
        await nc.close();
      },
    );
    const cfg = path.join(tempDir(), 'panoramix.yaml');
    fs.writeFileSync(
      cfg,
      `store: { engine: postgres, url: "${postgres.url(pgUrl)}", schema: ${tag} }
log: { url: "${natsUrl}", stream: ${tag.toUpperCase()}, subject: ${tag}.events }
reconnect: { initial: 100ms, max: 500ms, jitter: 0.2 }
sources: { web: { writeKeys: [wk_status_port] } }
`,
    );
    const ports = { work: await freePort(), batch: await freePort() };
    for (const role of ['work', 'batch'] as const)
      procs.push(spawnCli([role, '--config', cfg, '--status-port', String(ports[role])]));
    const status = async (role: 'work' | 'batch') => {
      const res = await fetch(`http://127.0.0.1:${ports[role]}/status`).catch(() => undefined);
      return res
        ? { code: res.status, body: (await res.json()) as { checks: { name: string }[] } }
        : undefined;
    };
    for (const role of ['work', 'batch'] as const) {
      let s = await status(role);
      for (let i = 0; !s && i < 100; i++) s = await sleep(100).then(() => status(role));
      expect(s?.code, `${role} while the store is cut`).toBe(503);
      expect(JSON.stringify(s?.body)).toContain('store');
    }
    postgres.heal();
    for (const role of ['work', 'batch'] as const) {
      let s = await status(role);
      for (let i = 0; s?.code !== 200 && i < 150; i++) s = await sleep(100).then(() => status(role));
      expect(s?.code, `${role} once the store is back: ${JSON.stringify(s?.body)}`).toBe(200);
    }
    const workChecks = (await status('work'))!.body.checks.map((c) => c.name);
    expect(
      workChecks.some((n) => /log|nats/i.test(n)),
      workChecks.join(', '),
    ).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.work}/metrics`)).text();
    expect(metrics).toContain('panoramix_connection_up');
    expect((await fetch(`http://127.0.0.1:${ports.work}/v1/events`)).status).toBe(404);
    for (const p of procs) p.kill('SIGTERM');
    expect(await Promise.all(procs.map(exited))).toEqual([0, 0]);
  }, 60_000);
});
