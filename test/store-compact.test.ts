import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/event.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { tempDir } from './support/temp.js';

const ev = (id: string, time: number): NewEvent => ({
  source: 'web',
  id,
  type: 't',
  subject: null,
  time,
  data: JSON.stringify({ pad: randomBytes(150).toString('hex') }),
  receivedAt: time,
});

const open: DuckDbStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});

// The DuckDB rewrite swaps the file under readers and the writer: they wait at the gate, none fails.
it('compacts while reads and appends arrive, loses none of them, and shrinks the file', async () => {
  const file = path.join(tempDir(), 'store.duckdb');
  const store = await DuckDbStore.open({ path: file });
  open.push(store);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  await store.append(Array.from({ length: 20_000 }, (_, i) => ev(`e${i}`, t0 + i)));
  await store.deleteEvents({ anyOf: [{ before: t0 + 15_000 }] });
  const compacting = store.compact();
  const reads = Array.from({ length: 20 }, () => store.query('SELECT count(*) AS n FROM events'));
  const appends = Array.from({ length: 5 }, (_, i) => store.append([ev(`late${i}`, t0 + 30_000 + i)]));
  const result = await compacting;
  expect(result).not.toBeNull();
  expect(result!.afterBytes).toBeLessThan(result!.beforeBytes * 0.6);
  for (const r of await Promise.all(reads))
    expect([5_000, 5_001, 5_002, 5_003, 5_004, 5_005]).toContain(r[0]!.n);
  expect((await Promise.all(appends)).map((a) => a.stored.length)).toEqual([1, 1, 1, 1, 1]);
  expect((await store.query('SELECT count(*) AS n FROM events'))[0]!.n).toBe(5_005);
  expect(await store.lastSeq()).toBe(20_005);
});

it('removes the copy a crashed compaction left, and opens the file it did not replace', async () => {
  const file = path.join(tempDir(), 'store.duckdb');
  const store = await DuckDbStore.open({ path: file });
  await store.append([ev('a', 1)]);
  await store.close();
  fs.writeFileSync(`${file}.compact`, 'half a copy');
  const again = await DuckDbStore.open({ path: file });
  open.push(again);
  expect(fs.existsSync(`${file}.compact`)).toBe(false);
  expect((await again.query('SELECT id FROM events')).map((r) => r.id)).toEqual(['a']);
});

it('lets a transaction finish the queries it runs on other connections while a rewrite waits for it', async () => {
  const store = await DuckDbStore.open({ path: path.join(tempDir(), 'store.duckdb') });
  open.push(store);
  await store.append([ev('a', 1)]);
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const tx = store.transaction(async () => {
    await held;
    return store.query('SELECT count(*) AS n FROM events'); // another connection, inside the transaction
  });
  await new Promise((r) => setTimeout(r, 20));
  const compacting = store.compact();
  release();
  expect((await tx)[0]!.n).toBe(1);
  expect(await compacting).not.toBeNull();
});

it('gives up a rewrite when a reader does not leave, and lets the readers it held go on', async () => {
  const store = await DuckDbStore.open({ path: path.join(tempDir(), 'store.duckdb') });
  open.push(store);
  store.compactWaitMs = 200;
  await store.append([ev('a', 1)]);
  const rows = store.stream('SELECT * FROM events')[Symbol.asyncIterator]();
  await rows.next(); // a stream is open: its consumer's next query would wait for the rewrite
  const compacting = store.compact();
  const query = store.query('SELECT 1 AS x');
  await expect(compacting).rejects.toThrow(/readers still at work/);
  expect((await query)[0]!.x).toBe(1);
  await rows.return?.(undefined);
});
