import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { extractAndLoad } from '../../src/lake/extract-load.js';
import { lifecycleTrackers } from '../../src/lifecycle/service.js';
import { activeVersion } from '../../src/project/registry.js';
import { projectionEngine } from '../../src/project/service.js';
import type { Runtime } from '../../src/runtime.js';
import { createApp } from '../../src/serve/app.js';

/** A project where subject u-42 is everywhere: events, three projections, a lifecycle, quarantine, the lake. */
export const FORGET_YAML = `
erasure: { refreshSeconds: 0.1 }   # a PostgreSQL erasure waits two periods for other processes to suppress
sources:
  web: { writeKeys: [wk_forget_web_key] }
projections:
  users:
    shape: latest
    key: { user: subject }
    columns: { last_type: type, plan: data.plan }
  per_user:
    shape: aggregate
    keepHistory: true
    dimensions: { user: subject }
    measures: { n: count() }
  per_type:
    shape: aggregate
    dimensions: { type: type }
    measures: { n: count(), users: count_distinct(subject) }
lifecycles:
  journeys:
    stages: [signup, order_placed]
lake:
  target: ./lake
  datasources: { self: { type: store } }
  tables:
    events:
      datasources: [self]
      fields: { seq: bigint, id: text, type: text, subject: text, time: timestamp, data: text }
      partitions: [type]
`;

export const AUTH = { authorization: 'Bearer wk_forget_web_key', 'content-type': 'application/json' };

const ev = (id: string, type: string, subject: string, minute: number, data: object = {}) => ({
  id,
  type,
  subject,
  time: new Date(Date.parse('2026-11-20T10:00:00Z') + minute * 60_000).toISOString(),
  data,
});

const apps = new WeakMap<Runtime, FastifyInstance>();

/** The runtime's HTTP app, made once (an app registers its metrics with the runtime). */
export async function appOf(runtime: Runtime): Promise<FastifyInstance> {
  let app = apps.get(runtime);
  if (!app) {
    app = await createApp(runtime);
    apps.set(runtime, app);
  }
  return app;
}

/** Fills the project: u-42 and u-7 events, one refused input of each held in quarantine, everything built. */
export async function seedEverywhere(runtime: Runtime): Promise<void> {
  const app = await appOf(runtime);
  const body = [
    ev('e1', 'signup', 'u-42', 1, { plan: 'gold', email: 'u42@example.com' }),
    ev('e2', 'order_placed', 'u-42', 2, { plan: 'gold' }),
    ev('e3', 'page_viewed', 'u-42', 3),
    ev('e4', 'signup', 'u-7', 4, { plan: 'free' }),
    ev('e5', 'page_viewed', 'u-7', 5),
    // Refused (no type) and held in quarantine with their bytes.
    { id: 'q1', subject: 'u-42', data: { email: 'u42@example.com' } },
    { id: 'q2', subject: 'u-7' },
  ];
  const res = await app.inject({ method: 'POST', url: '/v1/events', headers: AUTH, payload: body });
  if (res.json().accepted !== 5) throw new Error(`seed: ${res.body}`);
  const engine = await projectionEngine(runtime);
  for (const name of engine.plans.keys()) await engine.rebuild(name);
  for (const t of (await lifecycleTrackers(runtime)).values()) await t.fold();
  await extractAndLoad(runtime, { force: true });
}

/** The counts an erasure of u-42 in that project records, per place. */
export const U42_COUNTS = {
  suppression: 1,
  events: 3,
  'lifecycle:journeys': 1,
  quarantine: 1,
  projections: 2, // users and per_user have a row keyed by u-42; per_type has no subject column
  lake: 3,
};

/** Every place's rows, as text, for "no trace of u-42" (and "u-7 is still there"). */
export async function everything(runtime: Runtime, dir: string): Promise<Record<string, string>> {
  const s = runtime.store;
  const text = async (sql: string) => JSON.stringify(await s.query(sql));
  const engine = await projectionEngine(runtime);
  const out: Record<string, string> = {
    events: await text(
      'SELECT source, id, type, subject, CAST(data AS TEXT) AS data FROM events ORDER BY seq',
    ),
    quarantine: await text('SELECT raw FROM panoramix_quarantine ORDER BY raw'),
    lifecycle: await text(
      `SELECT msg_key, events FROM ${[...(await lifecycleTrackers(runtime)).values()][0]!.table} ORDER BY msg_key`,
    ),
  };
  for (const name of engine.plans.keys()) {
    const v = await activeVersion(s, name);
    out[`projection:${name}`] = await text(`SELECT * FROM (${v!.mergedSql}) m ORDER BY 1`);
  }
  // The lake's files read back by hyparquet, an independent Parquet reader (the writer is DuckDB).
  const rows: unknown[] = [];
  const walk = (d: string): string[] =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]))
      : [];
  for (const f of walk(path.join(dir, 'lake'))
    .filter((f) => f.endsWith('.parquet'))
    .sort())
    for (const r of await parquetReadObjects({ file: await asyncBufferFromFile(f) }))
      rows.push({ file: path.relative(dir, f), ...r, seq: Number(r.seq) });
  out.lake = JSON.stringify(rows);
  return out;
}
