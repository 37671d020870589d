import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';

// What Segment's libraries send: the server libraries' HTTP Tracking API, and analytics.js from web pages.
const KEY = 'wk_web_0123456789';
let app: FastifyInstance;
let runtime: Runtime;

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server:
  corsOrigins: [https://shop.example.com]
sources:
  web:
    writeKeys: [${KEY}]
`));
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

describe('Segment-compatible endpoints', () => {
  const basic = {
    authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`,
    'content-type': 'application/json',
  };
  it('maps track and batch calls onto the envelope', async () => {
    const track = {
      messageId: 'seg-1',
      userId: 'u-9',
      event: 'Order Completed',
      properties: { total: 12.5 },
      timestamp: '2026-11-24T10:00:00.000Z',
    };
    const r1 = await app.inject({ method: 'POST', url: '/v1/track', payload: track, headers: basic });
    expect(r1.json()).toMatchObject({ success: true, accepted: 1 });
    const batch = {
      batch: [
        { type: 'identify', messageId: 'seg-2', anonymousId: 'anon-1', traits: { plan: 'pro' } },
        { type: 'page', messageId: 'seg-3', userId: 'u-9', name: 'Home' },
        { type: 'bogus', messageId: 'seg-4' },
      ],
    };
    const r2 = await app.inject({ method: 'POST', url: '/v1/batch', payload: batch, headers: basic });
    expect(r2.json()).toMatchObject({ success: false, accepted: 2, rejected: [{ index: 2, field: 'type' }] });
    const rows = await runtime.store.query(
      "SELECT id, type, subject, time FROM events WHERE id LIKE 'seg-%' ORDER BY id",
    );
    expect(rows.map((r) => [r.id, r.type, r.subject])).toEqual([
      ['seg-1', 'Order Completed', 'u-9'],
      ['seg-2', 'identify', 'anon-1'],
      ['seg-3', 'page', 'u-9'],
    ]);
    expect(rows[0]!.time).toEqual(new Date('2026-11-24T10:00:00Z'));
  });

  it('accepts the write key in the body as Segment libraries may send it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/identify',
      payload: { writeKey: KEY, messageId: 'seg-5', userId: 'u-1' },
      headers: { 'content-type': 'application/json' },
    });
    expect(res.json()).toMatchObject({ success: true });
  });
});

describe('events from a browser (analytics.js)', () => {
  const shop = 'https://shop.example.com';
  it('answers the preflight of the origins in server.corsOrigins, and only theirs', async () => {
    const ok = await app.inject({ method: 'OPTIONS', url: '/v1/t', headers: { origin: shop } });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(shop);
    expect(ok.headers['access-control-allow-headers']).toContain('content-type');
    const other = await app.inject({
      method: 'OPTIONS',
      url: '/v1/events',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.statusCode).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.json().error).toBe(
      'origin https://evil.example may not send events here (server.corsOrigins)',
    );
  });

  it("takes analytics.js's one-letter paths, its text/plain bodies and the write key inside them", async () => {
    const headers = { 'content-type': 'text/plain;charset=UTF-8', origin: shop };
    const t = await app.inject({
      method: 'POST',
      url: '/v1/t',
      payload: JSON.stringify({
        writeKey: KEY,
        type: 'track',
        event: 'Clicked',
        messageId: 'ajs-1',
        anonymousId: 'a1',
      }),
      headers,
    });
    expect([t.statusCode, t.json().success]).toEqual([200, true]);
    expect(t.headers['access-control-allow-origin']).toBe(shop);
    const b = await app.inject({
      method: 'POST',
      url: '/v1/b',
      payload: JSON.stringify({
        writeKey: KEY,
        sentAt: '2026-11-24T10:00:00.000Z',
        batch: [
          { type: 'page', messageId: 'ajs-2', anonymousId: 'a1', name: 'Home' },
          { type: 'identify', messageId: 'ajs-3', userId: 'u-7', traits: { plan: 'pro' } },
        ],
      }),
      headers,
    });
    expect(b.json()).toMatchObject({ success: true, accepted: 2 });
    const rows = await runtime.store.query(
      "SELECT id, type, subject FROM events WHERE id LIKE 'ajs-%' ORDER BY id",
    );
    expect(rows.map((r) => [r.id, r.type, r.subject])).toEqual([
      ['ajs-1', 'Clicked', 'a1'],
      ['ajs-2', 'page', 'a1'],
      ['ajs-3', 'identify', 'u-7'],
    ]);
    // Reads never answer another origin.
    const read = await app.inject({ url: '/v1/events?limit=1', headers: { origin: shop } });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});
