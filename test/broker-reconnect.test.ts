import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { Runtime } from '../src/runtime.js';
import { createApp } from '../src/serve/app.js';
import { startServices } from '../src/services.js';
import { BROKERS, type Broker } from './support/brokers.js';
import { exited, freePort, spawnCli } from './support/process.js';
import { describeWith } from './support/services.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

const DEFAULT_PORTS = { rabbitmq: 5672, nats: 4222, mqtt: 1883 } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Check {
  name: string;
  ok: boolean;
  status: string;
  lastError?: string | null;
  nextRetryAt?: string | null;
  reconnects?: number;
}

/** A Panoramix runtime (with its HTTP app) consuming `tag` through the proxy. */
async function consumeThrough(
  broker: Broker,
  tag: string,
  proxy: TcpProxy,
  url: string,
): Promise<{ runtime: Runtime; app: FastifyInstance }> {
  const dir = tempDir();
  const runtime = await createRuntime(
    parseConfig(`store: { path: ${dir}/store.duckdb }
sources:
  shop:
    ${broker.block(tag, proxy.url(url))}
`),
    dir,
    pino({ level: 'silent' }),
  );
  const app = await createApp(runtime);
  return { runtime, app };
}

async function status(app: FastifyInstance): Promise<{ code: number; source: Check | undefined }> {
  const res = await app.inject({ method: 'GET', url: '/status' });
  const body = res.json() as { checks: Check[] };
  return { code: res.statusCode, source: body.checks.find((c) => c.name.startsWith('source shop')) };
}

/** The connection's up gauge and reconnect counter in /metrics. */
async function connectionMetrics(app: FastifyInstance): Promise<{ up: number; reconnects: number }> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const read = (metric: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric}{connection="source shop (`));
    return line ? Number(line.split(' ').pop()) : Number.NaN;
  };
  return { up: read('panoramix_connection_up'), reconnects: read('panoramix_connection_reconnects_total') };
}

async function stored(runtime: Runtime): Promise<{ n: number; distinct: number; lastSeq: number }> {
  const [r] = (await runtime.store.query(
    'SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids FROM events',
  )) as [{ n: number; distinct_ids: number }];
  return { n: Number(r.n), distinct: Number(r.distinct_ids), lastSeq: Number(await runtime.store.lastSeq()) };
}

async function until(what: string, ms: number, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
  return Date.now() - t0;
}

for (const [name, make] of Object.entries(BROKERS) as [keyof typeof BROKERS, (url: string) => Broker][]) {
  describeWith(name, `${name} source, connection supervised`, (url) => {
    it('stores every message published before, during and after a 3 s cut exactly once, without a restart', {
      timeout: 30_000,
    }, async () => {
      const broker = make(url);
      const target = new URL(url);
      const proxy = await startTcpProxy(target.hostname, Number(target.port || DEFAULT_PORTS[name]));
      const tag = `pmxcut${name}${process.pid}${Date.now() % 100000}`;
      const pub = await broker.publisher(tag);
      const { runtime, app } = await consumeThrough(broker, tag, proxy, url);
      const send = async (from: number, count: number) => {
        for (let i = from; i < from + count; i++)
          await pub.send(JSON.stringify({ id: `m${i}`, type: 'tick', data: { i } }));
      };
      try {
        await startServices(runtime);
        await until('the source is up', 10_000, async () => (await status(app)).code === 200);
        await send(0, 150);
        // Cut mid-stream: some of these are stored, some are in flight unacknowledged, some still queued.
        await until('the first messages are stored', 10_000, async () => (await stored(runtime)).n > 0);
        proxy.cut();
        const cutAt = Date.now();
        await send(150, 100);
        // Between attempts it names the next one; during an attempt (a moment) there is none to name.
        let during: Awaited<ReturnType<typeof status>> | undefined;
        await until('/status names the lost source and its next attempt', 2000, async () => {
          const s = await status(app);
          during = s;
          return (
            s.code === 503 &&
            s.source?.status === 'down' &&
            !!s.source.lastError &&
            typeof s.source.nextRetryAt === 'string'
          );
        });
        expect(during?.source?.nextRetryAt, JSON.stringify(during)).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(await connectionMetrics(app)).toEqual({ up: 0, reconnects: 0 });
        await sleep(3000 - (Date.now() - cutAt));
        proxy.heal();
        await send(250, 100);
        const healthyAfter = await until(
          '/status is 200 again',
          10_000,
          async () => (await status(app)).code === 200,
        );
        expect(healthyAfter).toBeLessThan(10_000);
        await until('every message is stored', 15_000, async () => (await stored(runtime)).n >= 350);
        await sleep(300); // a duplicate would be stored by now
        // Redeliveries are stored once: as many events and seqs as messages published, each id once.
        expect(await stored(runtime)).toEqual({ n: 350, distinct: 350, lastSeq: 350 });
        expect((await status(app)).source?.reconnects).toBe(1);
        expect(await connectionMetrics(app)).toEqual({ up: 1, reconnects: 1 });
        expect(proxy.accepted).toBeGreaterThan(1);
      } finally {
        await runtime.close();
        await pub.close();
        await proxy.close();
      }
    });
  });
}

describeWith('rabbitmq', 'rabbitmq source, broker down at start', (url) => {
  it('`panoramix start` with RabbitMQ unreachable for 8 s answers 503 at once, then consumes normally', {
    timeout: 40_000,
  }, async () => {
    const broker = BROKERS.rabbitmq(url);
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5672));
    proxy.cut();
    const tag = `pmxdown${process.pid}${Date.now() % 100000}`;
    const pub = await broker.publisher(tag);
    const dir = tempDir();
    const port = await freePort();
    const cfg = path.join(dir, 'panoramix.yaml');
    // A short backoff, so the source notices the heal quickly (and the setting is shown to work).
    fs.writeFileSync(
      cfg,
      `store: { path: ./store.duckdb }
server: { port: ${port} }
reconnect: { initial: 200ms, max: 1s }
sources:
  shop:
    ${broker.block(tag, proxy.url(url))}
`,
    );
    const base = `http://127.0.0.1:${port}`;
    const get = async (p: string) => {
      try {
        const res = await fetch(`${base}${p}`);
        return { code: res.status, body: (await res.json()) as Record<string, unknown> };
      } catch {
        return undefined; // not listening yet
      }
    };
    const sourceCheck = (body: Record<string, unknown> | undefined) =>
      (body?.checks as Check[] | undefined)?.find((c) => c.name === 'source shop (rabbitmq)');
    const lastSeq = async () =>
      ((await get('/api/q/stats'))?.body.store as { lastSeq: number } | undefined)?.lastSeq ?? -1;
    const t0 = Date.now();
    const proc = spawnCli(['start', '--config', cfg]);
    try {
      // Answers as soon as it listens (the start does not wait for the broker), and says what is down.
      await until('/status answers', 15_000, async () => (await get('/status')) !== undefined);
      const first = await get('/status');
      expect(first?.code, proc.output()).toBe(503);
      await until('/status says why and when', 3000, async () => {
        const c = sourceCheck((await get('/status'))?.body);
        return c?.status === 'down' && !!c.lastError && !!c.nextRetryAt;
      });
      for (let i = 0; i < 50; i++) await pub.send(JSON.stringify({ id: `d${i}`, type: 'tick', data: { i } }));
      await sleep(8000 - (Date.now() - t0));
      expect((await get('/status'))?.code).toBe(503);
      expect(await lastSeq()).toBe(0);
      proxy.heal();
      await until('/status is 200', 5000, async () => (await get('/status'))?.code === 200);
      await until('the queue is consumed', 5000, async () => (await lastSeq()) === 50);
      await sleep(300);
      expect(await lastSeq()).toBe(50); // each message once
      // The first connection is not a reconnect.
      expect(sourceCheck((await get('/status'))?.body)).toMatchObject({ status: 'up', reconnects: 0 });
      expect(proc.exitCode).toBeNull();
    } finally {
      proc.kill('SIGTERM');
      await exited(proc);
      await pub.close();
      await proxy.close();
    }
  });
});

describeWith('postgres', 'broker sources while the store is down', (pgUrl) => {
  for (const [name, make] of Object.entries(BROKERS) as [keyof typeof BROKERS, (url: string) => Broker][]) {
    describeWith(name, `${name} source, store (PostgreSQL) cut for 3 s`, (url) => {
      it('gives failed batches back after a backoff wait, not in a tight loop, and stores everything once', {
        timeout: 40_000,
      }, async () => {
        const broker = make(url);
        const pg = new URL(pgUrl);
        const proxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
        const tag = `pmxstore${name}${process.pid}${Date.now() % 100000}`;
        const pub = await broker.publisher(tag);
        const dir = tempDir();
        const runtime = await createRuntime(
          parseConfig(`store: { engine: postgres, url: "${proxy.url(pgUrl)}", schema: t_${tag} }
sources:
  shop:
    ${broker.block(tag)}
`),
          dir,
          pino({ level: 'silent' }),
        );
        const app = await createApp(runtime);
        const send = async (from: number, count: number) => {
          for (let i = from; i < from + count; i++)
            await pub.send(JSON.stringify({ id: `s${i}`, type: 'tick', data: { i } }));
        };
        const source = async () =>
          ((await app.inject({ method: 'GET', url: '/status' })).json() as { checks: Check[] }).checks.find(
            (c) => c.name === `source shop (${name})`,
          ) as Check & { detail: { failedBatches: number } };
        try {
          // MQTT hands over one message at a time, each committed alone: its run is smaller.
          const per = name === 'mqtt' ? 30 : 100;
          await startServices(runtime);
          await until('the source is up', 10_000, async () => (await source())?.status === 'up');
          await send(0, per);
          await until('the first messages are stored', 10_000, async () => (await stored(runtime)).n > 0);
          proxy.cut();
          await send(per, per);
          await sleep(3000);
          const failed = (await source()).detail.failedBatches;
          proxy.heal();
          await send(2 * per, per);
          await until('every message is stored', 25_000, async () => {
            try {
              return (await stored(runtime)).n >= 3 * per;
            } catch {
              return false; // the store's pool may not have noticed the heal yet
            }
          });
          await sleep(300);
          const end = await stored(runtime);
          expect({ n: end.n, distinct: end.distinct }).toEqual({ n: 3 * per, distinct: 3 * per });
          // Waits of 0.5, 1 and 2 s (less the jitter) in 3 s: a few failed batches, not hundreds.
          expect(failed).toBeGreaterThanOrEqual(1);
          expect(failed).toBeLessThanOrEqual(6);
        } finally {
          await runtime.close();
          await pub.close();
          await proxy.close();
        }
      });
    });
  }
});
