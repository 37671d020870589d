import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { pgSchema } from './support/pg-schemas.js';
import { exited, freePort, spawnCli } from './support/process.js';
import { describeWith } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

const KEY = 'wk_initial_build_cut';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Check {
  name: string;
  status: string;
  lastError?: string | null;
  detail?: { lastError?: string | null };
}

// `panoramix start` on PostgreSQL, through the test's own TCP proxy, with the connection cut for 3 s while a
// projection is being built for the first time. Before, one failed initial build left the projection answering
// 503 "being built for the first time" until the process was restarted.
describeWith('postgres', 'a first build cut off from PostgreSQL', (pgUrl) => {
  it('keeps the process up, says so in /status, and builds the projection once the store is back', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(pgUrl).port || 5432));
    const viaProxy = proxy.url(pgUrl);
    const schema = pgSchema(pgUrl);
    const dir = tempDir();
    const cfg = path.join(dir, 'panoramix.yaml');
    // The slow projection's build holds its query open for 5 s (pg_sleep), so the cut lands inside it.
    fs.writeFileSync(
      cfg,
      `store: { engine: postgres, url: "${viaProxy}", schema: ${schema} }
reconnect: { initial: 100ms, max: 1s, jitter: 0.2 }
sources:
  web: { writeKeys: [${KEY}] }
projections:
  slow:
    shape: sql
    sql: SELECT type, count(*) AS events FROM events WHERE (SELECT pg_sleep(5)) IS NULL GROUP BY type
`,
    );
    // History for the first build to read (with no events the engine has nothing to wait on).
    const seeded = await PostgresStore.open({ url: pgUrl, schema });
    await seeded.append(
      Array.from({ length: 10 }, (_, i) => ({
        source: 'web',
        id: `history-${i}`,
        type: 'cut_test',
        subject: null,
        time: Date.now(),
        data: '{}',
        receivedAt: Date.now(),
      })),
    );
    await seeded.close();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = spawnCli(['start', '--config', cfg, '--port', String(port)], {
      PANORAMIX_LOG_LEVEL: 'info',
    });
    const acked: string[] = [];
    const post = async (id: string) => {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, type: 'cut_test', data: {} }),
      }).catch(() => null);
      if (res?.status === 200) acked.push(id);
      return res?.status ?? 'reset';
    };
    const projection = () => fetch(`${base}/v1/projections/slow`).then((r) => r.status);
    const checks = async () => ((await (await fetch(`${base}/status`)).json()) as { checks: Check[] }).checks;
    try {
      for (let i = 0; i < 100 && !proc.output().includes('listening'); i++) await sleep(100);
      // The first build is under way (its query sleeps 5 s): cut every connection for 3 s.
      expect(await projection(), proc.output().slice(-3000)).toBe(503);
      for (let i = 0; i < 10; i++) expect(await post(`before-${i}`)).toBe(200);
      proxy.cut();
      const seen: Check[][] = [];
      const cutAt = Date.now();
      while (Date.now() - cutAt < 3000) {
        await post(`during-${Date.now()}`);
        seen.push(await checks());
        await sleep(200);
      }
      proxy.heal();
      // The process stayed up, and /status said what was wrong while the store was away.
      expect(proc.exitCode).toBeNull();
      const failing = seen.flat().filter((c) => c.status !== 'up');
      expect(failing.map((c) => c.name)).toContain('store');
      // Once the store is back, the projection is built without a restart, and /status is 200 again.
      let built: number | null = null;
      for (const stop = Date.now() + 30_000; Date.now() < stop && built !== 200; await sleep(200))
        built = await projection();
      expect(built, proc.output().slice(-2000)).toBe(200);
      expect(proc.output()).toContain('initial build failed; tried again after a backoff');
      let code = 0;
      for (const stop = Date.now() + 10_000; Date.now() < stop && code !== 200; await sleep(200))
        code = (await fetch(`${base}/status`)).status;
      expect(code).toBe(200);
      for (let i = 0; i < 10; i++) expect(await post(`after-${i}`)).toBe(200);
      // Nothing acknowledged was lost, and nothing was stored twice.
      const db = new pg.Client({ connectionString: pgUrl });
      await db.connect();
      const ids = (await db.query(`SELECT id FROM ${schema}.events`)).rows.map((r: { id: string }) => r.id);
      await db.end();
      expect(acked.filter((id) => !ids.includes(id))).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      proc.kill('SIGTERM');
      expect(await exited(proc)).toBe(0);
      await proxy.close();
    }
  }, 90_000);
});
