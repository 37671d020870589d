import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp.js';
import { DuckDbStore } from './duckdb-store.js';

// Whether another process can open the file: DuckDB's lock is per process, so only a child can tell.
function otherProcessOpens(file: string): boolean {
  const script = `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(file)})
    .then((i) => { i.closeSync(); process.stdout.write('opened'); }, (e) => process.stdout.write(e.message))`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }) === 'opened';
}

// A query in flight at close kept the database, and the file's lock, alive: the next process (the CLI after a
// test's runtime, a restarted server) was refused with "Could not set lock", and queries still ran.
it('releases the file when it closes while a query runs, and refuses queries after close', async () => {
  const file = path.join(tempDir(), 'store.duckdb');
  const store = await DuckDbStore.open({ path: file });
  const running = store.query('SELECT count(*) AS n FROM range(200000000) t(i) WHERE i % 7 = 3');
  await new Promise((r) => setTimeout(r, 30));
  await store.close();
  await running.catch(() => undefined);
  expect(otherProcessOpens(file)).toBe(true);
  await expect(store.query('SELECT 1')).rejects.toThrow('the store is closed');
}, 30_000);
