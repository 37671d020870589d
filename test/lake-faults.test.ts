import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { startServices } from '../src/services.js';
import { describeWith } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp.js';

// A scheduled lake run whose database is unreachable used to fail and wait for its next cron tick (an hour, a
// day); the run is now retried with the reconnect backoff, and the datasource shows in /status meanwhile.
describeWith('postgres', 'a scheduled lake run while its PostgreSQL datasource is unreachable', (pgUrl) => {
  it('reports the datasource down, retries, and writes the lake once it is back', async () => {
    const table = `lf_${process.pid}_${Date.now() % 100000}`;
    const db = new pg.Client({ connectionString: pgUrl });
    await db.connect();
    await db.query(`CREATE TABLE ${table} (id INT, course TEXT)`);
    await db.query(`INSERT INTO ${table} VALUES (1, 'a'), (2, 'b'), (3, 'a')`);
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(pgUrl).port || 5432));
    proxy.cut();
    const dir = tempDir();
    // Due once in the next minute, two seconds from now: only the retries can write the lake within the test.
    const once = (new Date().getUTCSeconds() + 2) % 60;
    const yaml = `store: { path: ":memory:" }
reconnect: { initial: 100ms, max: 500ms }
lake:
  target: ./lake
  datasources:
    school: { type: postgres, url: "${proxy.url(pgUrl)}" }
  tables:
    enrolments:
      datasources: [school]
      source: ${table}
      schedule: "${once} * * * * *"
      fields: { id: bigint, course: text }
      partitions: [course]
`;
    const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
    const lake = path.join(dir, 'lake', 'enrolments');
    const datasource = async () =>
      (await runtime.health.report()).checks.find((c) => c.name === 'lake datasource school');
    try {
      await startServices(runtime);
      for (let i = 0; i < 200 && (await datasource())?.status !== 'down'; i++)
        await new Promise((r) => setTimeout(r, 100));
      const down = await datasource();
      expect(down).toMatchObject({ status: 'down' });
      expect(down?.lastError).toBeTruthy();
      expect(Date.parse(down?.nextRetryAt ?? '')).toBeGreaterThan(Date.now() - 1000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(fs.existsSync(lake)).toBe(false);
      proxy.heal();
      for (let i = 0; i < 100 && !fs.existsSync(path.join(lake, 'course=b')); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(fs.readdirSync(lake).sort()).toEqual(['course=a', 'course=b']);
      expect(await datasource()).toMatchObject({ status: 'up', nextRetryAt: null });
    } finally {
      await runtime.close();
      await proxy.close();
      await db.query(`DROP TABLE ${table}`);
      await db.end();
    }
  });
});
