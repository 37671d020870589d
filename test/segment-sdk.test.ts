import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Analytics, FetchHTTPClient, type HTTPClientRequest } from '@segment/analytics-node';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { CLI } from './support/process.js';
import { testApp } from './support/runtime.js';

// Segment's own Node library, unchanged, and Segment's export files, into a listening Panoramix (issue 15).
const KEY = 'wk_shop_0123456789';
const HOUR = 3_600_000;
let app: FastifyInstance;
let runtime: Runtime;
let dir: string;
let base: string;

beforeAll(async () => {
  ({ app, runtime, dir } = await testApp(`
sources:
  shop:
    writeKeys: [${KEY}]
`));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

interface Stored {
  source: string;
  type: string;
  subject: string | null;
  time: Date;
  data: Record<string, unknown>;
}
const event = async (id: string): Promise<Stored | undefined> => {
  const [row] = await runtime.store.query(
    'SELECT source, type, subject, time, CAST(data AS TEXT) AS data FROM events WHERE id = $1',
    [id],
  );
  return row && ({ ...row, data: JSON.parse(row.data as string) } as unknown as Stored);
};

// A client whose clock is an hour behind: every time it writes (timestamp, sentAt) is an hour early.
class SlowClock extends FetchHTTPClient {
  override makeRequest(request: HTTPClientRequest) {
    const body = JSON.parse(request.body) as { batch: Record<string, unknown>[]; sentAt: string };
    const early = (t: unknown) => new Date(Date.parse(String(t)) - HOUR).toISOString();
    body.sentAt = early(body.sentAt);
    for (const m of body.batch) m.timestamp = early(m.timestamp);
    return super.makeRequest({ ...request, body: JSON.stringify(body) });
  }
}

describe('@segment/analytics-node', () => {
  it("corrects a skewed client clock from sentAt, as Segment's API does, and keeps the original", async () => {
    const analytics = new Analytics({
      writeKey: KEY,
      host: base,
      flushAt: 1,
      maxRetries: 0,
      httpClient: new SlowClock(),
    });
    const calledAt = Date.now();
    analytics.track({
      messageId: 'seg-skew-1',
      userId: 'u-9',
      event: 'Order Completed',
      properties: { total: 12.5 },
      context: { ip: '203.0.113.7', locale: 'fr-FR' },
      integrations: { All: false, Mixpanel: true },
    });
    await analytics.closeAndFlush({ timeout: 10_000 });
    const row = await event('seg-skew-1');
    expect(row).toMatchObject({ source: 'shop', type: 'Order Completed', subject: 'u-9' });
    // timestamp + (receivedAt − sentAt): the real time of the call, not the client's hour-early one.
    const time = row!.time.getTime();
    expect(Math.abs(time - calledAt)).toBeLessThan(5_000);
    const original = Date.parse(row!.data.originalTimestamp as string);
    expect(Math.abs(original - (calledAt - HOUR))).toBeLessThan(5_000);
    expect(row!.data).toMatchObject({
      properties: { total: 12.5 },
      context: { ip: '203.0.113.7', locale: 'fr-FR', library: { name: '@segment/analytics-node' } },
      integrations: { All: false, Mixpanel: true },
    });
    expect(row!.data.sentAt).toBeTypeOf('string');
  });
});

describe('Segment history', () => {
  it('takes historical batches on /v1/import with their timestamps as they are', async () => {
    const res = await fetch(`${base}/v1/import`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        sentAt: new Date().toISOString(),
        batch: [
          {
            type: 'track',
            event: 'Signed Up',
            messageId: 'seg-old-1',
            userId: 'u-1',
            timestamp: '2019-03-01T08:00:00Z',
          },
        ],
      }),
    });
    expect(await res.json()).toMatchObject({ success: true, accepted: 1 });
    expect((await event('seg-old-1'))!.time).toEqual(new Date('2019-03-01T08:00:00Z'));
  });

  it('replays a Segment export file (gzipped NDJSON) through the Segment mapping, once', async () => {
    // As Segment's archives hold them: messages already received (receivedAt) and corrected (timestamp).
    const messages = Array.from({ length: 30 }, (_, i) => ({
      type: i % 3 === 0 ? 'identify' : 'track',
      ...(i % 3 === 0
        ? { traits: { plan: 'pro' } }
        : { event: 'Product Viewed', properties: { sku: `p${i}` } }),
      messageId: `seg-exp-${i}`,
      anonymousId: `anon-${i % 4}`,
      originalTimestamp: new Date(Date.UTC(2025, 5, 1, 10, i) - 7_000).toISOString(),
      sentAt: new Date(Date.UTC(2025, 5, 1, 10, i, 1) - 7_000).toISOString(),
      receivedAt: new Date(Date.UTC(2025, 5, 1, 10, i, 1)).toISOString(),
      timestamp: new Date(Date.UTC(2025, 5, 1, 10, i)).toISOString(),
      context: { library: { name: 'analytics.js', version: '4.1.0' } },
      integrations: {},
      writeKey: 'the-old-segment-key',
      version: 2,
    }));
    const file = path.join(dir, 'segment-export.json.gz');
    fs.writeFileSync(file, zlib.gzipSync(messages.map((m) => JSON.stringify(m)).join('\n')));
    const replay = async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [
        CLI,
        'replay',
        file,
        '--format',
        'segment',
        '--url',
        base,
        '--key',
        KEY,
        '--batch',
        '8',
      ]);
      return JSON.parse(stdout.trim().split('\n').at(-1)!);
    };
    expect(await replay()).toMatchObject({ sent: 30, accepted: 30, duplicates: 0, rejected: 0 });
    expect(await replay()).toMatchObject({ sent: 30, accepted: 30, duplicates: 30 });
    const rows = await runtime.store.query(
      "SELECT type, count(*) AS n, min(time) AS first FROM events WHERE id LIKE 'seg-exp-%' GROUP BY type ORDER BY type",
    );
    expect(rows).toEqual([
      { type: 'Product Viewed', n: 20, first: new Date(Date.UTC(2025, 5, 1, 10, 1)) },
      { type: 'identify', n: 10, first: new Date(Date.UTC(2025, 5, 1, 10, 0)) },
    ]);
    expect((await event('seg-exp-4'))!.data).toMatchObject({
      receivedAt: messages[4]!.receivedAt,
      context: { library: { name: 'analytics.js' } },
    });
  });
});
