import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectionEngine } from '../src/project/service.js';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';
import { tempDir } from './support/temp.js';

const TOKEN = 'rt_projection_tests';
let app: FastifyInstance;
let runtime: Runtime;
const auth = { authorization: `Bearer ${TOKEN}` };
const get = (url: string, headers: Record<string, string> = auth) =>
  app.inject({ method: 'GET', url, headers });

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server:
  readTokens: [${TOKEN}]
projections:
  orders:
    shape: latest
    key: { order_id: subject }
    columns:
      status: "upper(replace(type, 'order_', ''))"
      amount: number(data.amount)
      updated_ts: time
  per_status:
    shape: aggregate
    dimensions: { status: "upper(replace(type, 'order_', ''))" }
    measures: { orders: count(), revenue: sum(data.amount) }
queries:
  big_orders:
    sql: SELECT order_id, amount FROM projection(orders) WHERE amount >= :min ORDER BY amount DESC
    params: { min: { type: number, required: true } }
`));
  const events = Array.from({ length: 30 }, (_, i) => ({
    source: 'shop',
    id: `e${i}`,
    type: i % 3 === 0 ? 'order_cancelled' : 'order_accepted',
    subject: `o${String(i).padStart(2, '0')}`,
    time: Date.parse('2026-11-24T10:00:00Z') + i * 60_000,
    data: JSON.stringify({ amount: i * 10 }),
    receivedAt: Date.now(),
  }));
  await runtime.committer.submit(events.slice(0, 20));
  const engine = await projectionEngine(runtime);
  for (const name of engine.plans.keys()) await engine.rebuild(name);
  await runtime.committer.submit(events.slice(20));
  await engine.fold();
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

describe('GET /v1/projections/NAME', () => {
  it('merges batch and speed and says how fresh the answer is', async () => {
    const res = await get('/v1/projections/orders?limit=100');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.rows).toHaveLength(30);
    expect(body.freshness).toMatchObject({ watermark: 20, speedEvents: 10 });
    expect(res.headers['x-panoramix-watermark']).toBe('20');
    expect(res.headers['x-panoramix-speed-events']).toBe('10');
    const agg = (await get('/v1/projections/per_status?sort=status')).json();
    expect(agg.rows).toEqual([
      { status: 'ACCEPTED', orders: 20, revenue: 3000 },
      { status: 'CANCELLED', orders: 10, revenue: 1350 },
    ]);
  });

  it('filters by equality, ranges and IN, sorts, and pages with a cursor', async () => {
    const ids = async (q: string) =>
      (await get(`/v1/projections/orders?${q}`)).json().rows.map((r: { order_id: string }) => r.order_id);
    expect(await ids('status=CANCELLED&amount[lt]=60')).toEqual(['o00', 'o03']);
    expect(await ids('amount[gte]=270&sort=-amount')).toEqual(['o29', 'o28', 'o27']);
    expect(await ids('amount[gt]=270&amount[lte]=290')).toEqual(['o28', 'o29']);
    expect(await ids('order_id[in]=o01,o05,o99')).toEqual(['o01', 'o05']);
    expect(await ids('updated_ts[lt]=2026-11-24T10:02:00Z')).toEqual(['o00', 'o01']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(
        `/v1/projections/orders?limit=7&sort=order_id${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.json().rows.map((r: { order_id: string }) => r.order_id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `o${String(i).padStart(2, '0')}`));
  });

  it('answers NDJSON, CSV and Parquet', async () => {
    const nd = await get('/v1/projections/orders?format=ndjson&order_id=o01');
    expect(
      nd.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ order_id: 'o01', status: 'ACCEPTED', amount: 10, updated_ts: '2026-11-24T10:01:00.000Z' }]);
    const csv = await app.inject({
      method: 'GET',
      url: '/v1/projections/orders?order_id[in]=o01,o02',
      headers: { ...auth, accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toBe(
      'order_id,status,amount,updated_ts\no01,ACCEPTED,10,2026-11-24T10:01:00.000Z\no02,ACCEPTED,20,2026-11-24T10:02:00.000Z\n',
    );
    const pq = await get('/v1/projections/orders?format=parquet&status=CANCELLED');
    expect(pq.headers['content-type']).toBe('application/vnd.apache.parquet');
    const file = path.join(tempDir(), 'o.parquet');
    fs.writeFileSync(file, pq.rawPayload);
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (
      await c.runAndReadAll(`SELECT count(*) AS n, sum(amount) AS total FROM read_parquet('${file}')`)
    ).getRowObjectsJson();
    expect(rows).toEqual([{ n: '10', total: 1350 }]);
  });

  it('explains what is wrong: unknown column, bad type, bad cursor, unknown projection, no token', async () => {
    const err = async (url: string, status: number, headers?: Record<string, string>) => {
      const res = await get(url, headers);
      expect(res.statusCode, url).toBe(status);
      return res.json().error as string;
    };
    expect(await err('/v1/projections/orders?colour=red', 400)).toBe(
      'unknown column "colour"; columns are order_id, status, amount, updated_ts',
    );
    expect(await err('/v1/projections/orders?amount[gt]=lots', 400)).toBe(
      'amount is a number; "lots" is not',
    );
    expect(await err('/v1/projections/orders?updated_ts[gt]=soon', 400)).toBe(
      'updated_ts is a timestamp; "soon" is not (use ISO 8601)',
    );
    expect(await err('/v1/projections/orders?cursor=nonsense', 400)).toBe(
      'cursor is not valid; use the nextCursor of a previous answer',
    );
    const cursor = (await get('/v1/projections/orders?limit=2')).json().nextCursor;
    expect(await err(`/v1/projections/orders?limit=2&status=ACCEPTED&cursor=${cursor}`, 400)).toMatch(
      /^cursor belongs to another query/,
    );
    expect(await err('/v1/projections/orders?sort=-colour', 400)).toMatch(/^unknown column "colour"/);
    expect(await err('/v1/projections/orders?limit=0', 400)).toBe(
      'limit must be a whole number from 1 to 10000',
    );
    expect(await err('/v1/projections/orders?format=xml', 400)).toBe(
      'format must be one of json, ndjson, csv, parquet',
    );
    expect(await err('/v1/projections/nope', 404)).toBe('no projection named nope');
    expect(await err('/v1/projections/orders', 401, {})).toBe(
      'a read token is required (Authorization: Bearer TOKEN)',
    );
  });
});

describe('GET /v1/queries/NAME', () => {
  it('binds typed parameters and refuses bad ones', async () => {
    const res = await get('/v1/queries/big_orders?min=270');
    expect(res.json().rows).toEqual([
      { order_id: 'o29', amount: 290 },
      { order_id: 'o28', amount: 280 },
      { order_id: 'o27', amount: 270 },
    ]);
    expect((await get('/v1/queries/big_orders?min=1%27%20OR%201=1')).json().error).toBe(
      'parameter min must be a number, not "1\' OR 1=1"',
    );
    expect((await get('/v1/queries/big_orders')).json().error).toBe('parameter min is required');
    expect((await get('/v1/queries/big_orders?min=1&max=2')).json().error).toBe(
      'query big_orders has no parameter max; it takes min',
    );
  });
});

describe('version swap', () => {
  it('keeps answering whole versions while rebuilds swap underneath', async () => {
    const engine = await projectionEngine(runtime);
    let stop = false;
    const counts: number[] = [];
    const reader = (async () => {
      while (!stop) {
        const res = await get('/v1/projections/per_status');
        expect(res.statusCode).toBe(200);
        counts.push(res.json().rows.reduce((n: number, r: { orders: number }) => n + r.orders, 0));
        // A cached answer resolves without I/O; yield so the rebuilds run (over HTTP the socket does this).
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 5; i++) {
      await runtime.committer.submit([
        {
          source: 'shop',
          id: `swap${i}`,
          type: 'order_accepted',
          subject: `s${i}`,
          time: Date.now(),
          data: '{"amount":1}',
          receivedAt: Date.now(),
        },
      ]);
      await engine.rebuild('per_status');
    }
    stop = true;
    await reader;
    expect(counts.length).toBeGreaterThan(5);
    // Every answer was a whole version: never fewer orders than before, never more than stored.
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    const final = (await get('/v1/projections/per_status'))
      .json()
      .rows.reduce((n: number, r: { orders: number }) => n + r.orders, 0);
    expect(final).toBe(35);
  });

  it('answers 304 to an unchanged tag, and never to a changed row', async () => {
    const engine = await projectionEngine(runtime);
    const url = '/v1/projections/orders?order_id=o05';
    const first = await get(url);
    expect(first.statusCode).toBe(200);
    const tag = first.headers.etag as string;
    expect(tag).toMatch(/^W\/".+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const again = await get(url, { ...auth, 'if-none-match': tag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // Another representation of the same state has another tag.
    expect((await get(`${url}&format=csv`, { ...auth, 'if-none-match': tag })).statusCode).toBe(200);
    await runtime.committer.submit([
      {
        source: 'shop',
        id: 'etag-change',
        type: 'order_shipped',
        subject: 'o05',
        time: Date.parse('2026-11-25T10:00:00Z'),
        data: '{"amount":55}',
        receivedAt: Date.now(),
      },
    ]);
    await engine.fold();
    const changed = await get(url, { ...auth, 'if-none-match': tag });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().rows).toEqual([
      expect.objectContaining({ order_id: 'o05', status: 'SHIPPED', amount: 55 }),
    ]);
    expect(changed.headers.etag).not.toBe(tag);
  });

  it('answers keyed reads from one version at a time while events fold and rebuilds swap', async () => {
    const engine = await projectionEngine(runtime);
    let stop = false;
    const seen: { amount: number; seq: number }[] = [];
    const reader = (async () => {
      while (!stop) {
        const res = await get('/v1/projections/orders?order_id=k1');
        if (res.statusCode === 200 && res.json().rows.length) {
          const f = res.json().freshness;
          seen.push({ amount: res.json().rows[0].amount, seq: f.watermark + f.speedEvents });
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 1; i <= 12; i++) {
      await runtime.committer.submit([
        {
          source: 'shop',
          id: `k1-${i}`,
          type: 'order_accepted',
          subject: 'k1',
          time: Date.parse('2026-11-26T00:00:00Z') + i * 1000,
          data: JSON.stringify({ amount: i }),
          receivedAt: Date.now(),
        },
      ]);
      if (i % 4 === 0) await engine.rebuild('orders');
      else await engine.fold();
    }
    stop = true;
    await reader;
    expect(seen.length).toBeGreaterThan(5);
    // The row only moves forward with the store, and a later seq never shows an older row.
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.seq).toBeGreaterThanOrEqual(seen[i - 1]!.seq);
      expect(seen[i]!.amount).toBeGreaterThanOrEqual(seen[i - 1]!.amount);
    }
    expect((await get('/v1/projections/orders?order_id=k1')).json().rows[0].amount).toBe(12);
  });

  it('compresses large pages with br or gzip when the client accepts them', async () => {
    const engine = await projectionEngine(runtime);
    await runtime.committer.submit(
      Array.from({ length: 400 }, (_, i) => ({
        source: 'shop',
        id: `big${i}`,
        type: 'order_accepted',
        subject: `big-${String(i).padStart(4, '0')}`,
        time: Date.parse('2026-11-27T00:00:00Z') + i,
        data: JSON.stringify({ amount: i }),
        receivedAt: Date.now(),
      })),
    );
    await engine.fold();
    const url = '/v1/projections/orders?order_id[gte]=big-&order_id[lt]=big.&limit=1000';
    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json().rows).toHaveLength(400);
    for (const [encoding, decode] of [
      ['br', zlib.brotliDecompressSync],
      ['gzip', zlib.gunzipSync],
    ] as const) {
      const res = await get(url, { ...auth, 'accept-encoding': `${encoding}, deflate` });
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers.vary).toContain('Accept-Encoding');
      expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
      expect(JSON.parse(decode(res.rawPayload).toString())).toEqual(plain.json());
    }
    // q=0 refuses a coding; a small answer is never compressed.
    expect(
      (await get(url, { ...auth, 'accept-encoding': 'br;q=0' })).headers['content-encoding'],
    ).toBeUndefined();
    const small = await get('/v1/projections/orders?order_id=big-0001', { ...auth, 'accept-encoding': 'br' });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});
