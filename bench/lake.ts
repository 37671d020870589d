// npm run bench -- lake [--events 10000000] [--rows 2000000] [--quick]
// 1) N events from the store to Hive-partitioned Parquet (by type and day) next to DuckDB's own
//    COPY … PARTITION_BY of the same query, in the same run. 2) A MariaDB table extracted next to the
//    `mariadb --batch` client dumping the same table (needs PANORAMIX_TEST_MARIADB_URL or a local MariaDB).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { extractAndLoad } from '../src/lake/extract-load.js';
import { opt, quick } from './_args.js';
import { fmt, printComparison } from './_report.js';

const n = opt('events', quick ? 1_000_000 : 10_000_000);
const rowsN = opt('rows', quick ? 200_000 : 2_000_000);
const mariaUrl = process.env.PANORAMIX_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-'));
const table = 'bench_studentmodule';
const yaml = `store: { path: ${path.join(dir, 'bench.duckdb')} }
lake:
  target: ${path.join(dir, 'lake')}
  datasources:
    store: { type: store }
    lms: { type: mysql, url: "${mariaUrl}" }
  tables:
    events:
      datasources: [store]
      fields: { seq: bigint, source: text, id: text, type: text, subject: text, time: timestamp, data: text }
      partitions: [type]
    ${table}:
      datasources: [lms]
      fields: { id: bigint, course_id: text, student_id: bigint, state: text, modified: timestamp }
      partitions: [course_id]
`;
const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
process.stdout.write(
  `lake benchmark: ${n.toLocaleString('en-US')} events, ${rowsN.toLocaleString('en-US')} MariaDB rows\n`,
);
const types = [
  'page_viewed',
  'order_placed',
  'signed_up',
  'order_fulfilled',
  'logged_in',
  'searched',
  'added_to_cart',
  'paid',
];
for (let i = 0; i < n; i += 20_000) {
  const batch: NewEvent[] = [];
  for (let k = i; k < Math.min(n, i + 20_000); k++) {
    batch.push({
      source: 'web',
      id: `e${k}`,
      type: types[k % 8]!,
      subject: `u${k % 100_000}`,
      time: Date.UTC(2026, 0, 1) + k * 1000,
      data: `{"k":${k}}`,
      receivedAt: Date.now(),
    });
  }
  await runtime.store.append(batch);
}
let t = performance.now();
await extractAndLoad(runtime, { tables: ['events'], force: true });
const ours = n / ((performance.now() - t) / 1000);
const baseDir = path.join(dir, 'duckdb-copy');
t = performance.now();
await runtime.store.exec(
  `COPY (SELECT seq, source, id, type, subject, time, CAST(data AS TEXT) AS data FROM events) TO '${baseDir}' (FORMAT parquet, PARTITION_BY (type))`,
);
const duck = n / ((performance.now() - t) / 1000);
printComparison('events to partitioned Parquet (rows/s)', ours, duck, 'rows/s', '>= 0.8');

try {
  const my = await mysql.createConnection({ uri: mariaUrl });
  await my.query(`DROP TABLE IF EXISTS ${table}`);
  await my.query(
    `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, course_id VARCHAR(100), student_id BIGINT, state TEXT, modified DATETIME(3))`,
  );
  for (let i = 0; i < rowsN; i += 5000) {
    const values = Array.from({ length: Math.min(5000, rowsN - i) }, (_, k) => [
      i + k,
      `course-${(i + k) % 50}`,
      (i + k) % 9973,
      `{"attempts":${(i + k) % 5}}`,
      new Date(Date.UTC(2026, 0, 1) + (i + k) * 1000),
    ]);
    await my.query(`INSERT INTO ${table} VALUES ?`, [values]);
  }
  const u = new URL(mariaUrl);
  t = performance.now();
  execFileSync(
    'mariadb',
    [
      '--batch',
      '-h',
      u.hostname,
      '-P',
      u.port || '3306',
      '-u',
      u.username || 'root',
      u.pathname.slice(1),
      '-e',
      `SELECT * FROM ${table}`,
    ],
    { stdio: ['ignore', fs.openSync(path.join(dir, 'dump.tsv'), 'w'), 'inherit'], maxBuffer: 1 << 30 },
  );
  const client = rowsN / ((performance.now() - t) / 1000);
  t = performance.now();
  await extractAndLoad(runtime, { tables: [table], force: true });
  const ext = rowsN / ((performance.now() - t) / 1000);
  printComparison(
    'MariaDB table to partitioned Parquet (rows/s)',
    ext,
    client,
    'rows/s',
    '>= 0.6 of mariadb --batch',
  );
  await my.query(`DROP TABLE ${table}`);
  await my.end();
} catch (err) {
  process.stdout.write(`MariaDB part skipped: ${(err as Error).message}\n`);
}
process.stdout.write(`(${fmt(n)} events, ${fmt(rowsN)} rows)\n`);
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });
