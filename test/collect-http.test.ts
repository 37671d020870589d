import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';

const KEY = 'wk_web_0123456789';
const MARS_KEY = 'wk_mars_0123456789';
let app: FastifyInstance;
let runtime: Runtime;

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server:
  bodyLimit: 2kb
  maxEventsPerRequest: 5
sources:
  web:
    writeKeys: [${KEY}]
  mars:
    writeKeys: [${MARS_KEY}]
    mapping: { id: message_id, type: event, subject: message_id, time: created_at }
`));
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

const auth = { authorization: `Bearer ${KEY}` };
const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/events',
    payload,
    headers: { 'content-type': 'application/json', ...auth, ...headers },
  });
const stored = async (id: string) =>
  (await runtime.store.query('SELECT count(*) AS n FROM events WHERE id = $1', [id]))[0]!.n;

describe('POST /v1/events', () => {
  it('accepts one CloudEvent, an array, a batch and NDJSON, and stores each once', async () => {
    const one = {
      specversion: '1.0',
      id: 'ok-1',
      source: 'web',
      type: 'page_viewed',
      time: '2026-11-24T10:00:00Z',
      data: { p: '/' },
    };
    expect(
      (await post(JSON.stringify(one), { 'content-type': 'application/cloudevents+json' })).json(),
    ).toMatchObject({ accepted: 1 });
    const arr = [
      { id: 'ok-2', type: 't' },
      { id: 'ok-3', type: 't' },
    ];
    expect((await post(JSON.stringify(arr))).json()).toMatchObject({ accepted: 2, rejected: [] });
    expect(
      (await post(JSON.stringify(arr), { 'content-type': 'application/cloudevents-batch+json' })).json(),
    ).toMatchObject({
      accepted: 2,
      duplicates: 2,
    });
    const nd = '{"id":"ok-4","type":"t"}\n\n{"id":"ok-5","type":"t"}\r\n';
    expect((await post(nd, { 'content-type': 'application/x-ndjson' })).json()).toMatchObject({
      accepted: 2,
    });
    for (const id of ['ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-5']) expect(await stored(id)).toBe(1);
    const [row] = await runtime.store.query(
      "SELECT source, subject, time, CAST(data AS TEXT) AS d FROM events WHERE id = 'ok-1'",
    );
    expect(row).toEqual({
      source: 'web',
      subject: null,
      time: new Date('2026-11-24T10:00:00Z'),
      d: '{"p":"/"}',
    });
  });

  it('rejects a malformed NDJSON line and keeps its neighbours', async () => {
    const body = '{"id":"nd-1","type":"t"}\n{"id":"nd-2","type":\n{"id":"nd-3","type":"t"}';
    const res = await post(body, { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(json.accepted).toBe(2);
    expect(json.rejected).toHaveLength(1);
    expect(json.rejected[0]).toMatchObject({ index: 1, line: 2 });
    expect(json.rejected[0].error).toMatch(/^line 2 is not valid JSON/);
    expect(await stored('nd-1')).toBe(1);
    expect(await stored('nd-3')).toBe(1);
  });

  it('says which field of which event is wrong, and keeps the good events of the request', async () => {
    const res = await post(
      JSON.stringify([
        { id: 'mix-1', type: 'ok' },
        { type: 'no-id' },
        { id: 'mix-3' },
        { id: 'mix-4', type: 42 },
        { id: 'mix-5', type: 't', time: 'yesterday' },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const { accepted, rejected } = res.json();
    expect(accepted).toBe(1);
    expect(rejected).toEqual([
      { index: 1, field: 'id', error: 'id is required (the event id, unique per source)' },
      { index: 2, id: 'mix-3', field: 'type', error: 'type is required (the event type)' },
      { index: 3, id: 'mix-4', field: 'type', error: 'type must be a string, not the number 42' },
      {
        index: 4,
        id: 'mix-5',
        field: 'time',
        error: 'time must be an RFC 3339 timestamp such as 2026-11-24T10:00:00Z, not "yesterday"',
      },
    ]);
    expect(await stored('mix-1')).toBe(1);
  });

  // Epoch milliseconds beyond what a date or a store can hold used to fail the whole commit, neighbours too.
  it('refuses a time no store can hold, naming the field, and keeps the good events', async () => {
    const res = await post(
      JSON.stringify([
        { id: 'far-1', type: 'ok', time: 1795000000000 },
        { id: 'far-2', type: 't', time: 1e20 },
        { id: 'far-3', type: 't', time: -1e15 },
      ]),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().rejected).toEqual([
      {
        index: 1,
        id: 'far-2',
        field: 'time',
        error: 'time must be between the years 0001 and 9999, not 100000000000000000000 (epoch milliseconds)',
      },
      {
        index: 2,
        id: 'far-3',
        field: 'time',
        error: 'time must be between the years 0001 and 9999, not -1000000000000000 (epoch milliseconds)',
      },
    ]);
    expect(await stored('far-1')).toBe(1);
  });

  it('refuses a payload too deeply nested to serialize, as that line only', async () => {
    // Its own app: the shared one's 2 KB body limit is smaller than such a payload.
    const big = await testApp(`sources:\n  web:\n    writeKeys: [${KEY}]\n`);
    const deep = `{"id":"deep-2","type":"t","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const res = await big.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: [JSON.stringify({ id: 'deep-1', type: 'ok' }), deep].join('\n'),
      headers: { 'content-type': 'application/x-ndjson', ...auth },
    });
    const kept = await big.runtime.store.query("SELECT count(*) AS n FROM events WHERE id = 'deep-1'");
    const held = await big.runtime.store.query('SELECT count(*) AS n FROM panoramix_quarantine');
    await big.app.close();
    await big.runtime.close();
    expect(kept[0]!.n).toBe(1);
    expect(held[0]!.n).toBe(1); // kept with its bytes, like any refused input
    expect(res.statusCode).toBe(200);
    expect(res.json().rejected).toEqual([
      {
        index: 1,
        line: 2,
        id: 'deep-2',
        field: 'data',
        error: 'data is nested too deeply to store (thousands of levels)',
      },
    ]);
  });

  it('answers 400 when nothing in the request is an event', async () => {
    const res = await post(JSON.stringify([{ type: 'x' }, 'text']));
    expect(res.statusCode).toBe(400);
    expect(res.json().rejected[1]).toEqual({
      index: 1,
      error: 'an event must be a JSON object, not the string "text"',
    });
  });

  it('refuses malformed JSON with the parser position', async () => {
    const res = await post('{"id": "x", "type": }');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/^body is not valid JSON: Unexpected token/);
  });

  it('refuses invalid UTF-8 with the offset, and in NDJSON only the bad line', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"id":"u-1","type":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const res = await post(bad);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('body is not valid UTF-8 (first invalid byte at offset 20)');
    const nd = Buffer.concat([
      Buffer.from('{"id":"u-2","type":"t"}\n'),
      bad,
      Buffer.from('\n{"id":"u-3","type":"é"}'),
    ]);
    const res2 = await post(nd, { 'content-type': 'application/x-ndjson' });
    expect(res2.json()).toMatchObject({
      accepted: 2,
      rejected: [{ index: 1, line: 2, error: 'line 2 is not valid UTF-8' }],
    });
    expect(await stored('u-3')).toBe(1);
  });

  it('refuses an unsupported content type with 415 naming the supported ones', async () => {
    const res = await post('id=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toContain('application/cloudevents+json');
  });

  it('names the limit on an oversized body or too many events (413)', async () => {
    const big = JSON.stringify({ id: 'big', type: 't', data: 'x'.repeat(3000) });
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('body is larger than the limit of 2048 bytes (server.bodyLimit)');
    const many = JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, type: 't' })));
    const res2 = await post(many);
    expect(res2.statusCode).toBe(413);
    expect(res2.json().error).toBe(
      'request holds 6 events; the limit is 5 events per request (server.maxEventsPerRequest)',
    );
  });

  it('reads gzip, deflate and br bodies, and names what it cannot decode', async () => {
    const lines = (p: string) =>
      Buffer.from(
        `${JSON.stringify({ id: `${p}-1`, type: 't' })}\n${JSON.stringify({ id: `${p}-2`, type: 't' })}`,
      );
    const ndjson = { 'content-type': 'application/x-ndjson' };
    for (const [encoding, body] of [
      ['gzip', zlib.gzipSync(lines('gz'))],
      ['deflate', zlib.deflateSync(lines('df'))],
      ['br', zlib.brotliCompressSync(lines('br'))],
    ] as const) {
      const res = await post(body, { ...ndjson, 'content-encoding': encoding });
      expect([res.statusCode, res.json().accepted], encoding).toEqual([200, 2]);
    }
    expect(await stored('gz-2')).toBe(1);
    const zstd = await post(lines('zs'), { ...ndjson, 'content-encoding': 'zstd' });
    expect([zstd.statusCode, zstd.json().error]).toEqual([
      415,
      'Content-Encoding "zstd" is not supported; send gzip, deflate, br or none',
    ]);
    const corrupt = await post(lines('bad'), { ...ndjson, 'content-encoding': 'gzip' });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json().error).toContain('the body is not valid gzip (Content-Encoding)');
    // The limit counts what the body decompresses to: 100 KB of zeros gzip to about 100 bytes.
    const bomb = zlib.gzipSync(JSON.stringify({ id: 'bomb', type: 't', data: '0'.repeat(100_000) }));
    expect(bomb.length).toBeLessThan(2048);
    const res = await post(bomb, { 'content-encoding': 'gzip' });
    expect([res.statusCode, res.json().error]).toEqual([
      413,
      'body is larger than the limit of 2048 bytes (server.bodyLimit)',
    ]);
    expect(await stored('bomb')).toBe(0);
  });

  it("requires a write key (401), refuses an unknown key (401); the key, not the event's source, decides", async () => {
    const ev = JSON.stringify({ id: 'k-1', type: 't', source: 'web' });
    const none = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: ev,
      headers: { 'content-type': 'application/json' },
    });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toBe('a write key is required for source "web" (Authorization: Bearer KEY)');
    expect((await post(ev, { authorization: 'Bearer wk_nope_nope_nope' })).statusCode).toBe(401);
    // Mars's key: the event is Mars's, read with Mars's mapping (which finds no message_id in it).
    const other = await post(ev, { authorization: `Bearer ${MARS_KEY}` });
    expect(other.statusCode).toBe(400);
    expect(other.json().rejected[0].field).toBe('message_id');
    const basic = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;
    expect((await post(ev, { authorization: basic })).statusCode).toBe(200);
  });

  it("maps a source's own shape (Mars) onto the envelope", async () => {
    const mars = {
      app_id: 'chat',
      message_id: 'msg-1',
      event: 'MESSAGE_CREATED',
      created_at: '2026-11-24T10:00:00Z',
    };
    const res = await post(JSON.stringify(mars), { authorization: `Bearer ${MARS_KEY}` });
    expect(res.json()).toMatchObject({ accepted: 1 });
    const rows = await runtime.store.query(
      "SELECT source, id, type, subject, CAST(data AS TEXT) AS d FROM events WHERE source = 'mars'",
    );
    expect(rows).toEqual([
      { source: 'mars', id: 'msg-1', type: 'MESSAGE_CREATED', subject: 'msg-1', d: '{"app_id":"chat"}' },
    ]);
  });
});

describe('backpressure', () => {
  it('answers 503 with Retry-After when the queue is full, and stores what it acknowledged', async () => {
    const { app: small, runtime: rt } = await testApp('server:\n  queueLimit: 3\n');
    try {
      const sends = Array.from({ length: 30 }, (_, i) =>
        small.inject({
          method: 'POST',
          url: '/v1/events',
          payload: JSON.stringify([
            { id: `bp-${i}-a`, type: 't', source: 'any' },
            { id: `bp-${i}-b`, type: 't', source: 'any' },
          ]),
          headers: { 'content-type': 'application/json' },
        }),
      );
      const answers = await Promise.all(sends);
      const refused = answers.filter((r) => r.statusCode === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]!.headers['retry-after']).toBe('1');
      expect(refused[0]!.json().error).toMatch(
        /^the ingest queue is full \(\d+ events waiting, limit 3\); retry shortly$/,
      );
      const acked = answers.filter((r) => r.statusCode === 200).length;
      expect(acked).toBeGreaterThan(0);
      const [{ n }] = (await rt.store.query('SELECT count(*) AS n FROM events')) as [{ n: number }];
      expect(n).toBe(acked * 2);
    } finally {
      await small.close();
      await rt.close();
    }
  });
});

describe('status, stats and metrics', () => {
  it('reports health, queue statistics and Prometheus metrics', async () => {
    const status = await app.inject('/status');
    expect(status.statusCode).toBe(200);
    expect(status.json().checks.map((c: { name: string }) => c.name)).toEqual([
      'store',
      'queue',
      'ingestion lag',
    ]);
    const lag = status.json().checks[2].detail;
    // ok-1 said it happened at 10:00 and arrived later: its delay is the largest.
    expect(lag.web.delayMs.max).toBeGreaterThan(0);
    expect(lag.web.oldestPendingMs).toBe(0);
    const stats = (await app.inject('/api/q/stats')).json();
    expect(stats.queue.depth).toBe(0);
    expect(stats.events.committed).toBeGreaterThan(0);
    expect(stats.commits.latencyMs.p50).toBeGreaterThan(0);
    // docs/quarantine.md promises the lag in /api/q/stats too, with the window's maximum.
    expect(stats.lag.web.delayMs.max).toBe(lag.web.delayMs.max);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/panoramix_events_accepted_total\{source="web"\} \d+/);
    expect(metrics).toMatch(/panoramix_events_rejected_total\{source="web",reason="envelope"\} \d+/);
    expect(metrics).toMatch(/panoramix_ingest_delay_seconds\{source="web",quantile="0.5"\} \d+/);
    expect(metrics).toMatch(/panoramix_ingest_delay_seconds\{source="web",quantile="1"\} [1-9]/);
  });

  it("measures each runtime's recent commit rate from its own samples, never another's", async () => {
    const busy = await testApp('');
    const idle = await testApp('');
    try {
      const event = (id: string) => ({
        source: 'web',
        id,
        type: 'rate',
        subject: null,
        time: Date.now(),
        data: '{}',
        receivedAt: Date.now(),
      });
      await busy.runtime.committer.submit(Array.from({ length: 50 }, (_, i) => event(`rate-${i}`)));
      // Over a second since the last sample: this read takes a new one, of 50 committed events.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await busy.app.inject('/api/q/stats')).json().rates.committedPerSecondRecent).toBeGreaterThan(
        0,
      );
      // The idle runtime committed nothing: its rate is 0, not measured against the busy one's 50.
      const idleStats = (await idle.app.inject('/api/q/stats')).json();
      expect(idleStats.events.committed).toBe(0);
      expect(idleStats.rates.committedPerSecondRecent).toBe(0);
    } finally {
      for (const { app, runtime } of [busy, idle]) {
        await app.close();
        await runtime.close();
      }
    }
  });
});
