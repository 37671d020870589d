import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectionEngine } from '../src/project/service.js';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';
import { tempDir } from './support/temp.js';

const FULL = 'rt_limited_full_reader';
const C42 = 'rt_limited_customer_42';
const WEB = 'rt_limited_web_events';
let app: FastifyInstance;
let runtime: Runtime;
const get = (url: string, token: string) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server:
  readTokens:
    - ${FULL}
    - { token: ${C42}, name: customer-42, projections: [orders], queries: [orders_of], fixed: { customer_id: c-42 } }
    - { token: ${WEB}, sources: [web] }
projections:
  orders:
    shape: latest
    filter: { types: [order_placed] }
    key: { order_id: subject }
    columns: { customer_id: data.customer_id, amount: number(data.amount) }
  per_customer:
    shape: aggregate
    dimensions: { customer_id: data.customer_id }
    measures: { orders: count() }
queries:
  orders_of:
    sql: SELECT order_id, customer_id, amount FROM projection(orders) WHERE customer_id = :customer_id ORDER BY order_id
    params: { customer_id: { type: text, required: true } }
  everything:
    sql: SELECT order_id, customer_id FROM projection(orders)
`));
  // 30 orders of three customers from the shop; a few page views from the web.
  const events = Array.from({ length: 30 }, (_, i) => ({
    source: 'shop',
    id: `o${i}`,
    type: 'order_placed',
    subject: `o${String(i).padStart(2, '0')}`,
    time: Date.parse('2026-11-24T10:00:00Z') + i * 60_000,
    data: JSON.stringify({ customer_id: `c-${[42, 7, 9][i % 3]}`, amount: i }),
    receivedAt: Date.now(),
  }));
  for (let i = 0; i < 4; i++)
    events.push({ ...events[0]!, source: 'web', id: `v${i}`, type: 'page_viewed', subject: `p${i}` });
  await runtime.committer.submit(events);
  const engine = await projectionEngine(runtime);
  for (const name of engine.plans.keys()) await engine.rebuild(name);
  await runtime.quarantine.put([
    { source: 'web', raw: Buffer.from('{web'), reason: 'unparseable', error: 'not JSON' },
    { source: 'shop', raw: Buffer.from('{shop'), reason: 'unparseable', error: 'not JSON' },
  ]);
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

describe('a token with a fixed filter (customer_id = c-42)', () => {
  it('sees only its rows, in every format', async () => {
    const all = (await get('/v1/projections/orders?limit=1000', FULL)).json().rows;
    expect(new Set(all.map((r: { customer_id: string }) => r.customer_id))).toEqual(
      new Set(['c-42', 'c-7', 'c-9']),
    );
    const mine = (await get('/v1/projections/orders?limit=1000', C42)).json().rows;
    expect(mine).toHaveLength(10);
    expect(mine).toEqual(all.filter((r: { customer_id: string }) => r.customer_id === 'c-42'));
    // Naming the fixed value itself is allowed and changes nothing; narrowing further is allowed too.
    expect((await get('/v1/projections/orders?customer_id=c-42&limit=1000', C42)).json().rows).toEqual(mine);
    expect((await get('/v1/projections/orders?amount[gte]=20', C42)).json().rows).toHaveLength(3);

    const csv = (await get('/v1/projections/orders?format=csv&limit=1000', C42)).body.trim().split('\n');
    expect(csv).toHaveLength(11);
    expect(csv.slice(1).every((line) => line.includes(',c-42,'))).toBe(true);
    const ndjson = (await get('/v1/projections/orders?format=ndjson&limit=1000', C42)).body
      .trim()
      .split('\n');
    expect(ndjson.map((l) => JSON.parse(l).customer_id)).toEqual(Array(10).fill('c-42'));

    const pq = await get('/v1/projections/orders?format=parquet', C42);
    expect(pq.statusCode).toBe(200);
    const file = path.join(tempDir(), 'mine.parquet');
    fs.writeFileSync(file, pq.rawPayload);
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const counted = (
      await c.runAndReadAll(`SELECT customer_id, count(*) AS n FROM read_parquet('${file}') GROUP BY 1`)
    ).getRowObjectsJson();
    expect(counted).toEqual([{ customer_id: 'c-42', n: '10' }]);
  });

  it('cannot widen its filter by a query parameter, in any format', async () => {
    for (const url of [
      '/v1/projections/orders?customer_id=c-7',
      '/v1/projections/orders?customer_id[in]=c-42,c-7',
      '/v1/projections/orders?customer_id[gte]=a',
      '/v1/projections/orders?customer_id=c-7&format=csv',
      '/v1/projections/orders?customer_id=c-7&format=parquet',
    ]) {
      const res = await get(url, C42);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toBe(
        'this token is fixed to customer_id = c-42; a request may not filter customer_id otherwise',
      );
    }
  });

  it('runs its named query with the fixed value, and cannot set the parameter otherwise', async () => {
    const rows = (await get('/v1/queries/orders_of', C42)).json().rows;
    expect(rows).toHaveLength(10);
    expect(rows.every((r: { customer_id: string }) => r.customer_id === 'c-42')).toBe(true);
    expect(
      (await get('/v1/queries/orders_of?customer_id=c-42&format=csv', C42)).body.split('\n'),
    ).toHaveLength(12);
    const widened = await get('/v1/queries/orders_of?customer_id=c-7', C42);
    expect(widened.statusCode).toBe(403);
    expect(widened.json().error).toBe(
      'this token is fixed to customer_id = c-42; a request may not set customer_id otherwise',
    );
    // The full reader runs the same query for anyone.
    expect((await get('/v1/queries/orders_of?customer_id=c-7', FULL)).json().rows).toHaveLength(10);
  });

  it('reads nothing it is not granted', async () => {
    const list = (await get('/v1/projections', C42)).json();
    expect(list.projections.map((p: { name: string }) => p.name)).toEqual(['orders']);
    expect(list.queries.map((q: { name: string }) => q.name)).toEqual(['orders_of']);
    for (const [url, error] of [
      [
        '/v1/projections/per_customer',
        'this token may not read projection per_customer (it may read: orders)',
      ],
      ['/v1/queries/everything', 'this token may not run query everything (it may run: orders_of)'],
      ['/v1/events', 'this token has fixed filters (customer_id), so it may not read events'],
      [
        '/v1/reports',
        'this token is limited to some sources, projections and queries; GET /v1/reports is not among what it may read',
      ],
    ] as const) {
      const res = await get(url, C42);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toBe(error);
    }
    expect((await get('/v1/access', C42)).json()).toEqual({
      name: 'customer-42',
      kind: 'read',
      may: { read: true, admin: false },
      limits: {
        sources: [],
        projections: ['orders'],
        queries: ['orders_of'],
        fixed: { customer_id: 'c-42' },
      },
    });
  });
});

describe('a token limited to a source', () => {
  it('reads the events and the quarantine of its source only', async () => {
    const events = (await get('/v1/events?limit=1000', WEB)).json().events;
    expect(events).toHaveLength(4);
    expect(events.every((e: { source: string }) => e.source === 'web')).toBe(true);
    expect((await get('/v1/events?source=web', WEB)).json().events).toHaveLength(4);
    expect((await get('/v1/events?source=shop', WEB)).statusCode).toBe(403);
    expect((await get('/v1/events?limit=1000', FULL)).json().events).toHaveLength(34);

    const q = (await get('/v1/quarantine', WEB)).json();
    expect(q.items.map((i: { source: string }) => i.source)).toEqual(['web']);
    expect(q.held).toEqual({ unparseable: 1 });
    expect((await get('/v1/quarantine?source=shop', WEB)).statusCode).toBe(403);
    const shop = (await get('/v1/quarantine?source=shop', FULL)).json().items[0];
    expect((await get(`/v1/quarantine/${shop.id}`, FULL)).statusCode).toBe(200);
    expect((await get(`/v1/quarantine/${shop.id}`, WEB)).statusCode).toBe(404);
    expect((await get('/v1/projections/orders', WEB)).statusCode).toBe(403);
  });
});
