import fs from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { extractAndLoad } from '../src/lake/extract-load.js';
import { unescapePartitionValue } from '../src/lake/hive-path.js';
import { projectionEngine } from '../src/project/service.js';
import { exited, spawnCli } from './support/process.js';
import { describeWith, serviceUrl } from './support/services.js';
import { tempDir } from './support/temp.js';

// A table shaped like Open edX's courseware_studentmodule, with the values that break naive exporters.
const COURSES = ['course-v1:edX+Demo+2026', 'a/b=c d', 'Café ✓ 100%'];
const DDL = (
  t: string,
  mysqlish: boolean,
) => `CREATE TABLE ${t} (id BIGINT PRIMARY KEY, course_id VARCHAR(255), module_id VARCHAR(255),
  student_id BIGINT, state TEXT, grade DECIMAL(10,2), created TIMESTAMP${mysqlish ? '(3)' : '(3) WITH TIME ZONE'} NULL, modified TIMESTAMP${mysqlish ? '(3)' : '(3) WITH TIME ZONE'} NULL)`;

type Row = {
  id: number;
  course_id: string | null;
  module_id: string;
  student_id: number | null;
  state: string | null;
  grade: string | null;
  created: Date;
  modified: Date;
};

function makeRows(from: number, n: number, modified: Date): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: from + i,
    course_id: i % 17 === 0 ? null : COURSES[i % COURSES.length]!,
    module_id: `block-v1:${i % 5}`,
    student_id: i % 11 === 0 ? null : 1000 + i,
    state: i % 7 === 0 ? null : JSON.stringify({ attempts: i % 4, note: 'réussi ✓' }),
    grade: i % 9 === 0 ? null : (((i * 37) % 10000) / 100).toFixed(2),
    created: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60, i % 1000)),
    modified,
  }));
}

// Every file of the lake read back with hyparquet (not DuckDB, the writer), partition values from the path.
async function readLake(root: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const walk = async (dir: string, parts: Record<string, unknown>) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        const [k, v] = e.name.split('=') as [string, string];
        await walk(full, { ...parts, [k]: unescapePartitionValue(v) });
      } else if (e.name.endsWith('.parquet') && !e.name.startsWith('.')) {
        for (const r of await parquetReadObjects({ file: await asyncBufferFromFile(full) }))
          out.push({ ...r, ...parts });
      }
    }
  };
  await walk(root, {});
  return out
    .map((r) => ({
      id: Number(r.id),
      course_id: r.course_id,
      module_id: r.module_id,
      student_id: r.student_id === null || r.student_id === undefined ? null : Number(r.student_id),
      state: r.state ?? null,
      grade: r.grade === null || r.grade === undefined ? null : Number(r.grade).toFixed(2),
      created: new Date(r.created as Date).toISOString(),
      lms: r.lms,
    }))
    .sort((a, b) => a.id - b.id);
}

const expectedOf = (rows: Row[]) =>
  rows
    .map((r) => ({
      id: r.id,
      course_id: r.course_id,
      module_id: r.module_id,
      student_id: null,
      state: r.state,
      grade: r.grade,
      created: r.created.toISOString(),
      lms: 'lms.example.com',
    }))
    .sort((a, b) => a.id - b.id);

describeWith('mariadb', 'datalake export from MariaDB and PostgreSQL', (mariaUrl) => {
  const pgUrl = serviceUrl('postgres')!;
  it('full, incremental and crashed runs give a lake equal to the sources', async () => {
    const table = `sm_${process.pid}_${Date.now() % 100000}`;
    const my = await mysql.createConnection({ uri: mariaUrl, timezone: 'Z' });
    const pgc = new pg.Client({ connectionString: pgUrl });
    await pgc.connect();
    await my.query(DDL(table, true));
    await pgc.query(DDL(table, false));
    const old = new Date('2026-01-02T00:00:00Z');
    const myRows = makeRows(1, 400, old);
    const pgRows = makeRows(10_001, 300, old);
    const insert = async (rows: Row[], target: 'my' | 'pg') => {
      for (const r of rows) {
        const vals = [r.id, r.course_id, r.module_id, r.student_id, r.state, r.grade, r.created, r.modified];
        if (target === 'my') await my.query(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, vals);
        else await pgc.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, vals);
      }
    };
    await insert(myRows, 'my');
    await insert(pgRows, 'pg');
    const dir = tempDir();
    const yaml = `store: { path: ./store.duckdb }
lake:
  target: ./lake
  partitions: { lms: lms.example.com }
  datasources:
    edx_mysql: { type: mysql, url: "${mariaUrl}" }
    edx_pg: { type: postgres, url: "${pgUrl}" }
  tables:
    studentmodule:
      datasources: [edx_mysql, edx_pg]
      source: ${table}
      fields: { id: bigint, course_id: text, module_id: text, student_id: bigint, state: text, grade: decimal, created: timestamp, modified: timestamp }
      fixed: { student_id: null }
      partitions: [course_id]
      incremental: { field: modified, interval: 2 hour }
`;
    fs.writeFileSync(path.join(dir, 'panoramix.yaml'), yaml);
    const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
    const root = path.join(dir, 'lake', 'studentmodule');
    try {
      const full = await extractAndLoad(runtime, { force: true });
      expect(full.tables[0]).toMatchObject({ mode: 'full', rows: 700 });
      expect(full.tables[0]!.partitions).toHaveLength(COURSES.length + 1);
      expect(
        fs.existsSync(
          path.join(root, 'lms=lms.example.com', 'course_id=a%2Fb%3Dc%20d', 'studentmodule.parquet'),
        ),
      ).toBe(true);
      expect(
        fs.existsSync(
          path.join(
            root,
            'lms=lms.example.com',
            'course_id=__HIVE_DEFAULT_PARTITION__',
            'studentmodule.parquet',
          ),
        ),
      ).toBe(true);
      expect(await readLake(root)).toEqual(expectedOf([...myRows, ...pgRows]));

      // Incremental: one course changes in MariaDB, a new row lands in PostgreSQL; only those partitions move.
      const now = new Date();
      await my.query(`UPDATE ${table} SET state = 'edited', modified = ? WHERE id = 2`, [now]);
      myRows[1] = { ...myRows[1]!, state: 'edited', modified: now };
      const added = makeRows(20_001, 1, now).map((r) => ({ ...r, course_id: COURSES[0]! }));
      await insert(added, 'pg');
      const inc = await extractAndLoad(runtime, { now });
      expect(inc.tables[0]!.mode).toBe('incremental');
      expect(inc.tables[0]!.partitions.map((p) => p.values.course_id).sort()).toEqual(
        [COURSES[0], COURSES[1]].sort(),
      );
      expect(await readLake(root)).toEqual(expectedOf([...myRows, ...pgRows, ...added]));

      // A crash mid-run (SIGKILL) followed by a rerun gives the same lake as a clean run.
      const child = spawnCli([
        'lake',
        'extract-and-load',
        '--force',
        '--config',
        path.join(dir, 'panoramix.yaml'),
      ]);
      await new Promise((r) => setTimeout(r, 900));
      child.kill('SIGKILL');
      await exited(child);
    } finally {
      await runtime.close();
    }
    const again = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
    try {
      await extractAndLoad(again, { force: true });
    } finally {
      await again.close();
    }
    expect(await readLake(root)).toEqual(
      expectedOf([
        ...myRows,
        ...pgRows,
        ...makeRows(20_001, 1, new Date()).map((r) => ({ ...r, course_id: COURSES[0]! })),
      ]),
    );
    await my.query(`DROP TABLE ${table}`);
    await pgc.query(`DROP TABLE ${table}`);
    await my.end();
    await pgc.end();
  });
});

it("exports the store's own events by partition, without passing rows through JavaScript", async () => {
  const dir = tempDir();
  const yaml = `store: { path: ./store.duckdb }
projections:
  per_type:
    shape: aggregate
    dimensions: { type: type }
    measures: { events: count() }
lake:
  target: ./lake
  datasources: { self: { type: store } }
  tables:
    events:
      datasources: [self]
      fields: { seq: bigint, id: text, ce_source: text, type: text, subject: text, time: timestamp, data: text }
      fixed: { subject: null }
      partitions: [type]
      incremental: { field: time, interval: 1 hour }
    per_type:
      datasources: [self]
      source: projection:per_type
      fields: { type: text, events: bigint }
`;
  const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  await runtime.committer.submit(
    Array.from({ length: 300 }, (_, i) => ({
      source: 's',
      id: `e${i}`,
      type: ['a/b', 'c d', 'x=y'][i % 3]!,
      subject: `u${i}`,
      time: t0 + i * 1000,
      data: `{"i":${i}}`,
      receivedAt: t0,
      ...(i === 4 ? { ceSource: 'https://s.example/4' } : {}),
    })),
  );
  const engine = await projectionEngine(runtime);
  await engine.rebuild('per_type');
  const full = await extractAndLoad(runtime, { force: true });
  expect(full.tables[0]).toMatchObject({ rows: 300, mode: 'full' });
  // A projection by name, batch and speed merged, read through the projection reader.
  expect(full.tables[1]).toMatchObject({ name: 'per_type', rows: 3 });
  const perType = await parquetReadObjects({
    file: await asyncBufferFromFile(path.join(dir, 'lake', 'per_type', 'per_type.parquet')),
  });
  expect(perType.map((r) => [r.type, Number(r.events)]).sort()).toEqual([
    ['a/b', 100],
    ['c d', 100],
    ['x=y', 100],
  ]);
  const root = path.join(dir, 'lake', 'events');
  const read = async () => {
    const rows: Record<string, unknown>[] = [];
    for (const d of fs.readdirSync(root)) {
      const file = path.join(root, d, 'events.parquet');
      for (const r of await parquetReadObjects({ file: await asyncBufferFromFile(file) }))
        rows.push({ ...r, type: unescapePartitionValue(d.split('=')[1]!) });
    }
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  };
  const rows = await read();
  expect(rows).toHaveLength(300);
  expect(rows[4]).toMatchObject({ id: 'e4', type: 'c d', subject: null, data: '{"i":4}' });
  // The CloudEvents source as sent, or the source name when none was.
  expect([rows[3]!.ce_source, rows[4]!.ce_source]).toEqual(['s', 'https://s.example/4']);
  // Nothing happened in the last hour (relative to `now`): an incremental run rewrites nothing.
  const inc = await extractAndLoad(runtime, { tables: ['events'], now: new Date(t0 + 86_400_000) });
  expect(inc.tables[0]!.partitions).toEqual([]);
  await runtime.close();
});

describeWith('mariadb', 'lake set-tables-fields', (mariaUrl) => {
  it("fills a lake table's fields from the source's own schema, keeping the file's comments", async () => {
    const table = `stf_${process.pid}_${Date.now() % 100000}`;
    const my = await mysql.createConnection({ uri: mariaUrl });
    await my.query(
      `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, course_id VARCHAR(50), grade DECIMAL(5,2), seen DATETIME(3), ok TINYINT(1))`,
    );
    const dir = tempDir();
    const file = path.join(dir, 'panoramix.yaml');
    fs.writeFileSync(
      file,
      `# my lake\nstore: { path: ./store.duckdb }\nlake:\n  target: ./lake\n  datasources:\n    edx: { type: mysql, url: "${mariaUrl}" }\n  tables:\n    grades:\n      datasources: [edx]\n      source: ${table}\n      fields: {}\n`,
    );
    const out = spawnCli(['lake', 'set-tables-fields', '--config', file]);
    expect(await exited(out)).toBe(0);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('# my lake\n')).toBe(true);
    expect(parseConfig(text).lake!.tables.grades!.fields).toEqual({
      id: 'bigint',
      course_id: 'text',
      grade: 'decimal',
      seen: 'timestamp',
      ok: 'integer',
    });
    await my.query(`DROP TABLE ${table}`);
    await my.end();
  });
});

it('exports a directory of CSV files, incrementally', async () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'exports'));
  fs.writeFileSync(
    path.join(dir, 'exports', 'enrollments.csv'),
    'id,course,user,modified\n1,"c/1",alice,2026-11-01T00:00:00Z\n2,c 2,bob,2026-11-24T10:00:00Z\n3,"c/1",,2026-11-24T10:30:00Z\n',
  );
  const yaml = `store: { path: ./store.duckdb }
lake:
  target: ./lake
  datasources: { files: { type: csv, dir: ./exports } }
  tables:
    enrollments:
      datasources: [files]
      fields: { id: bigint, course: text, user: text, modified: timestamp }
      partitions: [course]
      incremental: { field: modified, interval: 1 hour }
      schedule: "0 * * * *"
`;
  const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
  try {
    const inc = await extractAndLoad(runtime, { now: new Date('2026-11-24T10:45:00Z') });
    // Rows modified in the last hour touch both courses; each partition is rewritten whole (c/1 keeps row 1).
    expect(inc.tables[0]!.partitions.map((p) => [p.values.course, p.rows])).toEqual([
      ['c 2', 1],
      ['c/1', 2],
    ]);
    const rows = await parquetReadObjects({
      file: await asyncBufferFromFile(
        path.join(dir, 'lake', 'enrollments', 'course=c%2F1', 'enrollments.parquet'),
      ),
    });
    expect(rows.map((r) => [Number(r.id), r.user])).toEqual([
      [1, 'alice'],
      [3, null],
    ]);
  } finally {
    await runtime.close();
  }
});
