import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractAndLoad } from '../src/lake/extract-load.js';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';
import { tempDir } from './support/temp.js';

// /metrics of an embedded instance after a little of everything: intake (accepted, rejected, quarantined),
// HTTP requests, a projection, a report run and a lake run. The Grafana dashboard in examples/grafana may
// only name metrics that are there, and the text must be what Prometheus reads (promtool, when installed).
const DASHBOARD = path.resolve(import.meta.dirname, '../examples/grafana/panoramix-dashboard.json');
const KEY = 'wk_metrics_test_key';
let app: FastifyInstance;
let runtime: Runtime;
let text: string;

beforeAll(async () => {
  const lake = tempDir();
  ({ app, runtime } = await testApp(`
sources:
  web: { writeKeys: [${KEY}] }
schemas:
  types:
    checkout: { schema: { type: object, required: [total] }, policy: quarantine }
projections:
  per_type: { shape: aggregate, dimensions: { type: type }, measures: { events: count() } }
  last_of_type: { shape: latest, key: { type: type }, columns: { id: id } }
reports:
  counts: { sql: "SELECT type, count(*) AS n FROM events GROUP BY type", format: json }
lake:
  target: ${lake}
  datasources: { self: { type: store } }
  tables:
    events: { datasources: [self], fields: { seq: bigint, type: text } }
`));
  const post = (body: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  expect((await post([{ id: 'a', type: 'page' }, { id: 'b' }])).statusCode).toBe(200);
  const held = await post([
    { id: 'c', type: 'checkout', data: {} },
    { id: 'd', type: 'page' },
  ]);
  expect(held.json().quarantined, held.body).toBe(1);
  const run = await app.inject({ method: 'POST', url: '/v1/reports/counts/run', payload: {} });
  expect(run.statusCode, run.body).toBe(200);
  await extractAndLoad(runtime);
  const built = await app.inject({ method: 'POST', url: '/v1/projections/per_type/rebuild' });
  expect(built.statusCode, built.body).toBe(200);
  expect((await app.inject('/v1/projections/per_type')).statusCode).toBe(200);
  // A keyed read loads the latest projection's replica (DuckDB) behind it.
  expect((await app.inject({ method: 'POST', url: '/v1/projections/last_of_type/rebuild' })).statusCode).toBe(
    200,
  );
  expect((await app.inject('/v1/projections/last_of_type?type=page')).json().rows).toHaveLength(1);
  for (let i = 0; i < 100 && !(await app.inject('/metrics')).body.includes('replica_keys{'); i++)
    await new Promise((r) => setTimeout(r, 20));
  // Committed after the build, and no speed layer runs here (no services): the projection is one event behind.
  expect((await post({ id: 'e', type: 'page' })).statusCode).toBe(200);
  text = (await app.inject('/metrics')).body;
}, 30_000);

afterAll(async () => {
  await app?.close();
  await runtime?.close();
});

/** The metric families /metrics declares (# TYPE lines), with their types. */
function families(metrics: string): Map<string, string> {
  return new Map([...metrics.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('/metrics', () => {
  it('has process and Node metrics, HTTP requests, intake per source, projection lag, report and lake runs', () => {
    const sample = (re: RegExp) => expect(text).toMatch(re);
    sample(/^process_cpu_seconds_total \d/m);
    sample(/^nodejs_heap_size_used_bytes \d/m);
    sample(/^nodejs_eventloop_lag_p99_seconds \d/m);
    sample(
      /^panoramix_http_request_duration_seconds_count\{method="POST",route="\/v1\/events",status="200"\} 3$/m,
    );
    sample(
      /^panoramix_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/projections\/:name",status="200"\} 2$/m,
    );
    sample(/^panoramix_events_accepted_total\{source="web"\} 3$/m);
    sample(/^panoramix_events_rejected_total\{source="web",reason="envelope"\} 1$/m);
    sample(/^panoramix_events_quarantined_total\{source="web",reason="schema"\} 1$/m);
    sample(/^panoramix_projection_lag_events\{projection="per_type"\} 1$/m);
    sample(/^panoramix_projection_replica_keys\{projection="last_of_type"\} 1$/m);
    const lagSeconds = Number(
      /^panoramix_projection_lag_seconds\{projection="per_type"\} (\S+)$/m.exec(text)?.[1],
    );
    expect(lagSeconds).toBeGreaterThan(0);
    expect(lagSeconds).toBeLessThan(30);
    sample(/^panoramix_report_runs_total\{report="counts",status="ok"\} 1$/m);
    sample(/^panoramix_lake_runs_total\{status="ok"\} 1$/m);
  });

  it('has every metric the Grafana dashboard names', () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    const declared = families(text);
    const named = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b((?:panoramix|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!)),
    );
    // A planted name proves the check sees a metric that is not there.
    const missing = [...named, 'panoramix_no_such_metric'].filter((name) => {
      // A histogram's series are its family's name with _bucket, _count or _sum.
      const family = name.replace(/_(bucket|count|sum)$/, '');
      return !declared.has(name) && !(family !== name && declared.get(family) === 'histogram');
    });
    expect(missing).toEqual(['panoramix_no_such_metric']);
  });

  it('is valid exposition text for Prometheus (promtool check metrics)', (ctx) => {
    // Every family has HELP and TYPE, and every sample line is `name{labels} value`.
    for (const [name] of families(text)) expect(text).toContain(`# HELP ${name} `);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+$/);
    const promtool = spawnSync('promtool', ['--version']);
    if (promtool.error) {
      ctx.skip(true, 'promtool is not installed (Debian package prometheus): its check did not run');
      return;
    }
    // promtool lints as well as parses: its exit status fails the test on either.
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  });
});
