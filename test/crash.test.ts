import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { exited, freePort, spawnCli, waitForHttp } from './support/process.js';
import { tempDir } from './support/temp.js';

const KEY = 'wk_crash_test_key';

// The promise of the collector: an acknowledged event survives SIGKILL at any moment, and is stored once
// even when the client retries it after the restart.
it('keeps every acknowledged event exactly once across SIGKILL mid-stream', async () => {
  const dir = tempDir();
  const port = await freePort();
  const cfg = path.join(dir, 'panoramix.yaml');
  fs.writeFileSync(
    cfg,
    `store:\n  path: ./store.duckdb\nserver:\n  port: ${port}\nsources:\n  web:\n    writeKeys: [${KEY}]\n`,
  );
  const base = `http://127.0.0.1:${port}`;
  const start = () => spawnCli(['start', '--config', cfg]);

  let server = start();
  await waitForHttp(`${base}/status`, server);

  const acked = new Set<string>();
  let sent = 0;
  let stop = false;
  let done = 0;
  let lastError = '';
  const send = async (ids: string[]) => {
    const body = ids.map((id) => JSON.stringify({ id, type: 'crash_test', data: { id } })).join('\n');
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      body,
    });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    const answer = (await res.json()) as { accepted: number };
    expect(answer.accepted).toBe(ids.length);
    for (const id of ids) acked.add(id);
  };
  const client = async (c: number) => {
    for (let i = 0; !stop; i++) {
      const size = i % 3 === 0 ? 1 : 50;
      const ids = Array.from({ length: size }, (_, k) => `c${c}-${i}-${k}`);
      sent += size;
      try {
        await send(ids);
      } catch (err) {
        lastError = String(err);
        break; // the server died: what was not acknowledged may or may not be stored
      }
    }
    done++;
  };
  const clients = Array.from({ length: 8 }, (_, c) => client(c));
  while (acked.size < 3000) {
    if (clients.length && done === clients.length)
      throw new Error(`clients stopped early after ${acked.size} acks: ${lastError}\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  server.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  await exited(server);
  expect(acked.size).toBeGreaterThanOrEqual(3000);

  // Restart on the same store and retry a slice of what was acknowledged: it must not be stored twice.
  server = start();
  await waitForHttp(`${base}/status`, server);
  const retry = [...acked].slice(0, 500);
  for (let i = 0; i < retry.length; i += 100) await send(retry.slice(i, i + 100));
  server.kill('SIGTERM');
  expect(await exited(server)).toBe(0);

  const store = await DuckDbStore.open({ path: path.join(dir, 'store.duckdb') });
  try {
    const rows = await store.query('SELECT id, count(*) AS n FROM events GROUP BY id HAVING count(*) > 1');
    expect(rows).toEqual([]);
    const ids = new Set((await store.query('SELECT id FROM events')).map((r) => r.id as string));
    const lost = [...acked].filter((id) => !ids.has(id));
    expect(lost).toEqual([]);
    expect(ids.size).toBeLessThanOrEqual(sent);
  } finally {
    await store.close();
  }
});
