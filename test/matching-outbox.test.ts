import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ImportDirectory } from '../src/match/import-dir.js';
import { open, PAY_HEADER, pay } from './support/matching.js';
import { freePort } from './support/process.js';
import { tempDir } from './support/temp.js';

describe('the import directory', () => {
  it("imports files once their size settles, moves them to done/, and an unknown owner's to failed/", async () => {
    const dir = tempDir();
    const { runtime, m } = await open(`store: { path: ${path.join(dir, 'store.duckdb')} }`, dir);
    try {
      const imports = path.join(dir, 'imports');
      const dirScan = new ImportDirectory(imports, m.importer, pino({ level: 'silent' }));
      await dirScan.scan(); // makes payment/ and scheme/
      mkdirSync(path.join(imports, 'payment', 'visa'), { recursive: true });
      mkdirSync(path.join(imports, 'payment', 'nobody'), { recursive: true });
      writeFileSync(
        path.join(imports, 'payment', 'visa', 'day1.csv'),
        `${PAY_HEADER}\n${pay('f1', 'M1', '2026-11-02T10:00:00', '1.00')}\n${pay('f2', 'M1', '2026-11-02T11:00:00', '2.00')}\n`,
      );
      writeFileSync(path.join(imports, 'payment', 'nobody', 'x.csv'), `${PAY_HEADER}\n`);
      expect(await dirScan.scan()).toEqual([]); // first sight: wait until the size holds still
      const reports = await dirScan.scan();
      expect(reports).toEqual([expect.objectContaining({ owner: 'visa', accepted: 2 })]);
      expect(readdirSync(path.join(imports, 'done', 'payment', 'visa'))).toHaveLength(1);
      expect(readdirSync(path.join(imports, 'failed', 'payment', 'nobody'))).toHaveLength(1);
      expect(readdirSync(path.join(imports, 'payment', 'visa'))).toEqual([]);
    } finally {
      await runtime.close();
    }
  });
});

/** A runtime with one forced match, whose export is due. */
async function oneMatchDue(dir: string, extra = '') {
  const { runtime, m } = await open(`store: { path: ${path.join(dir, 'store.duckdb')} }`, dir, extra);
  await m.reference.addMerchants([
    { identifier: 'M1', id_type: 'primary', provider: 'visa', scheme: 'iceland' },
  ]);
  const p = await m.importer.import(
    'payment',
    'visa',
    [
      {
        index: 0,
        line: 2,
        raw: '',
        value: {
          'Transaction ID': 'r1',
          MID: 'M1',
          time: '2026-11-02T10:00:00',
          Amount: '1.00',
          currency: 'GBP',
        },
      },
    ],
    { origin: 'upload' },
  );
  expect(p.accepted).toBe(1);
  await m.folder.fold();
  const [{ id }] = (await runtime.store.query(
    "SELECT id FROM match_payments WHERE transaction_id = 'r1'",
  )) as [{ id: number }];
  await m.matcher.forceMatch(Number(id), null, 'test');
  return { runtime, m };
}

describe('export retries', () => {
  it('retries with backoff, ends as EXPORT_FAILED, and is retried by hand', async () => {
    const dir = tempDir();
    // The export directory cannot be made (a file has its name): every attempt fails.
    writeFileSync(path.join(dir, 'exports'), 'in the way');
    const { runtime, m } = await oneMatchDue(dir);
    try {
      const t0 = Date.now();
      const r1 = await m.exporter.run(new Date(t0));
      expect(r1.failed).toBe(1);
      // Not due before the backoff (1 s, then 2 s): nothing is tried.
      expect((await m.exporter.run(new Date(t0 + 500))).failed).toBe(0);
      expect((await m.exporter.run(new Date(t0 + 1500))).failed).toBe(1);
      expect((await m.exporter.run(new Date(t0 + 2500))).failed).toBe(0);
      expect((await m.exporter.run(new Date(t0 + 4000))).failed).toBe(1);
      const [x] = (await m.queries.exports()).exports;
      expect(x).toMatchObject({
        status: 'EXPORT_FAILED',
        attempts: 3,
        last_error: expect.stringContaining('EEXIST'),
      });
      expect((await m.exporter.run(new Date(t0 + 100_000))).failed).toBe(0);
      expect(await m.exporter.retry()).toBe(1);
      expect((await m.queries.exports()).exports[0]).toMatchObject({ status: 'PENDING', attempts: 0 });
    } finally {
      await runtime.close();
    }
  });

  it('waits for RabbitMQ while it is down, without spending its attempts', async () => {
    const dir = tempDir();
    const port = await freePort(); // nothing listens: RabbitMQ is down for this project
    const { runtime, m } = await oneMatchDue(
      dir,
      `  rabbitmq: { url: "amqp://guest:guest@127.0.0.1:${port}" }`,
    );
    try {
      const t0 = Date.now();
      for (const later of [0, 1500, 4000, 100_000])
        expect(await m.exporter.run(new Date(t0 + later))).toMatchObject({ exported: 0, failed: 0 });
      expect((await m.queries.exports()).exports[0]).toMatchObject({ status: 'PENDING', attempts: 0 });
    } finally {
      await runtime.close();
    }
  });
});
