import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';

const WEB1 = 'wk_quota_web_one';
const WEB2 = 'wk_quota_web_two';
const BIG = 'wk_quota_bytes_key';
const FREE = 'wk_quota_free_key';
let app: FastifyInstance;
let runtime: Runtime;
let seq = 0;
const events = (n: number) => Array.from({ length: n }, () => ({ id: `e${seq++}`, type: 't' }));
const post = (key: string, payload: unknown, url = '/v1/events') =>
  app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(payload),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });
const stored = async (source: string) =>
  Number((await runtime.store.query('SELECT count(*) AS n FROM events WHERE source = $1', [source]))[0]!.n);

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
sources:
  web: { writeKeys: [${WEB1}, ${WEB2}], quota: { eventsPerSecond: 10 } }
  big: { writeKeys: [${BIG}], quota: { bytesPerSecond: 1kb } }
  free: { writeKeys: [${FREE}] }
`));
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

describe('quotas per write key', () => {
  it('answers 429 with Retry-After and the RateLimit headers over the rate, per key, and again after the wait', async () => {
    const first = await post(WEB1, events(10));
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"events";q=10;w=1');
    expect(first.headers.ratelimit).toBe('"events";r=0;t=1');

    const over = await post(WEB1, events(1));
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBe('1');
    expect(over.headers['ratelimit-policy']).toBe('"events";q=10;w=1');
    expect(over.json().error).toBe(
      'this write key is over its quota of 10 events/s for source "web" (sources.web.quota); retry in 1 s',
    );
    expect(await stored('web')).toBe(10);
    // Another key of the same source has its own budget; a source without a quota has no headers.
    expect((await post(WEB2, events(5))).statusCode).toBe(200);
    const free = await post(FREE, events(100));
    expect(free.statusCode).toBe(200);
    expect(free.headers['ratelimit-policy']).toBeUndefined();

    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(WEB1, events(1))).statusCode).toBe(200);
  });

  it('takes a batch larger than the budget once, then refuses until its debt is paid', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(WEB2, events(30))).statusCode).toBe(200);
    const refused = await post(WEB2, events(1));
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(2);
  });

  it('counts body bytes, on the Segment routes too', async () => {
    const padding = 'x'.repeat(1500);
    const batch = {
      batch: [{ type: 'track', event: 'e', messageId: 'm1', userId: 'u', properties: { padding } }],
    };
    const first = await post(BIG, batch, '/v1/batch');
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"bytes";q=1024;w=1');
    const over = await post(BIG, { ...batch, batch: [{ ...batch.batch[0], messageId: 'm2' }] }, '/v1/batch');
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toContain('1024 bytes/s');
    expect(await stored('big')).toBe(1);
  });
});
