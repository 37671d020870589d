import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectionEngine } from '../src/project/service.js';
import { replayQuarantine } from '../src/quarantine/replay.js';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';

// The write key decides the Panoramix source; the CloudEvents `source` is kept as sent (issue 15).
const WEB = 'wk_web_0123456789';
const BARS = 'wk_bars_0123456789';
const READ = 'rt_read_0123456789';
let app: FastifyInstance;
let runtime: Runtime;

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server: { readTokens: [${READ}] }
sources:
  web:
    writeKeys: [${WEB}]
  bars:
    writeKeys: [${BARS}]
    cloudevents: { sources: ["https://bars.example/", "urn:bars:"] }
projections:
  from_batches:
    shape: aggregate
    filter: { ceSources: [/bars/batch] }
    dimensions: { type: type }
    measures: { events: count() }
  from_urns:
    shape: aggregate
    filter: { where: "ce_source = 'urn:x'" }
    dimensions: { ce: ce_source }
    measures: { events: count() }
`));
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

const send = (body: unknown, key = WEB, contentType = 'application/cloudevents+json') =>
  app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: JSON.stringify(body),
    headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
  });
const ce = (id: string, source: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id,
  source,
  type: 'bar.opened',
  time: '2026-11-24T10:00:00Z',
  data: { bar: id },
  ...extra,
});
const rows = (sql: string, params: unknown[] = []) => runtime.store.query(sql, params);

describe('CloudEvents sources', () => {
  it('takes any URI-reference as source with a write key, and keeps it exactly as sent', async () => {
    for (const source of ['https://bars.example/cloudevents', '/bars/batch', 'urn:x', 'web']) {
      const res = await send(ce(`uri-${source}`, source));
      expect(res.statusCode, source).toBe(200);
      expect(res.json()).toMatchObject({ accepted: 1, rejected: [] });
    }
    expect(await rows("SELECT source, ce_source FROM events WHERE id LIKE 'uri-%' ORDER BY seq")).toEqual([
      { source: 'web', ce_source: 'https://bars.example/cloudevents' },
      { source: 'web', ce_source: '/bars/batch' },
      { source: 'web', ce_source: 'urn:x' },
      { source: 'web', ce_source: 'web' },
    ]);
    // No source attribute at all: the CloudEvents source is the Panoramix source.
    expect((await send({ id: 'uri-none', type: 't' }, WEB, 'application/json')).statusCode).toBe(200);
    expect(await rows("SELECT ce_source FROM events WHERE id = 'uri-none'")).toEqual([{ ce_source: 'web' }]);
  });

  it('stores the same id from two CloudEvents sources as two events, and a retry once', async () => {
    const batch = [ce('same-1', 'https://a.example/x'), ce('same-1', '/b/y')];
    const first = await send(batch, WEB, 'application/cloudevents-batch+json');
    expect(first.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    const retry = await send(batch, WEB, 'application/cloudevents-batch+json');
    expect(retry.json()).toMatchObject({ accepted: 2, duplicates: 2 });
    expect(await rows("SELECT ce_source FROM events WHERE id = 'same-1' ORDER BY ce_source")).toEqual([
      { ce_source: '/b/y' },
      { ce_source: 'https://a.example/x' },
    ]);
  });

  it('refuses a CloudEvents source outside the prefixes its source accepts (403, naming them)', async () => {
    const foreign = await send(ce('bars-1', 'https://evil.example/bars'), BARS);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().rejected[0]).toMatchObject({
      id: 'bars-1',
      field: 'source',
      error:
        'source "https://evil.example/bars" is not one source "bars" accepts (cloudevents.sources: "https://bars.example/", "urn:bars:")',
    });
    const mixed = await send(
      [ce('bars-2', 'https://bars.example/paris'), ce('bars-3', 'urn:bars:lyon'), ce('bars-4', 'urn:x')],
      BARS,
      'application/cloudevents-batch+json',
    );
    expect(mixed.statusCode).toBe(200);
    expect(mixed.json()).toMatchObject({ accepted: 2, rejected: [{ index: 2, id: 'bars-4' }] });
    expect(await rows("SELECT id, source FROM events WHERE id LIKE 'bars-%' ORDER BY id")).toEqual([
      { id: 'bars-2', source: 'bars' },
      { id: 'bars-3', source: 'bars' },
    ]);
  });

  it('keeps a refused foreign CloudEvents source in quarantine, and a replay holds it to the prefixes too', async () => {
    const held = await runtime.quarantine.list({ source: 'bars' });
    expect(held.map((h) => [h.reason, h.field])).toEqual([
      ['forbidden', 'source'],
      ['forbidden', 'source'],
    ]);
    expect(await replayQuarantine(runtime, { source: 'bars' })).toEqual({
      replayed: 0,
      duplicates: 0,
      stillFailing: 2,
    });
    expect((await runtime.quarantine.list({ source: 'bars' }))[0]!.error).toMatch(
      /is not one source "bars" accepts \(cloudevents.sources: "https:\/\/bars.example\/", "urn:bars:"\)$/,
    );
  });

  it('keeps extension attributes (traceparent, partitionkey) and datacontenttype in structured mode', async () => {
    const ext = ce('ext-1', 'urn:x', {
      datacontenttype: 'application/json',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      partitionkey: 'bar-7',
    });
    expect((await send(ext)).statusCode).toBe(200);
    const [row] = await rows(
      "SELECT CAST(data AS TEXT) AS d, CAST(ce_attributes AS TEXT) AS a FROM events WHERE id = 'ext-1'",
    );
    expect(JSON.parse(row!.d as string)).toEqual({ bar: 'ext-1' });
    expect(JSON.parse(row!.a as string)).toEqual({
      datacontenttype: 'application/json',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      partitionkey: 'bar-7',
    });
  });

  it('filters the events API by ce_source and answers it with the attributes', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/events?ce_source=${encodeURIComponent('urn:x')}&limit=10`,
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(res.statusCode).toBe(200);
    const events = res.json().events as Record<string, unknown>[];
    expect(events.map((e) => e.id).sort()).toEqual(['ext-1', 'uri-urn:x']);
    expect(events.every((e) => e.ce_source === 'urn:x' && e.source === 'web')).toBe(true);
    expect(events.find((e) => e.id === 'ext-1')!.ce_attributes).toMatchObject({ partitionkey: 'bar-7' });
  });

  it('filters projections by CloudEvents source, as a list and in an expression', async () => {
    const engine = await projectionEngine(runtime);
    await engine.rebuild('from_batches');
    await engine.rebuild('from_urns');
    const read = async (name: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/v1/projections/${name}`,
          headers: { authorization: `Bearer ${READ}` },
        })
      ).json().rows;
    expect(await read('from_batches')).toEqual([{ type: 'bar.opened', events: 1 }]);
    expect(await read('from_urns')).toEqual([{ ce: 'urn:x', events: 2 }]);
  });
});

describe('CloudEvents binary content mode', () => {
  const binary = (headers: Record<string, string>, payload: string | Buffer = '') =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      payload,
      headers: {
        authorization: `Bearer ${WEB}`,
        'ce-specversion': '1.0',
        'ce-type': 'bar.opened',
        ...headers,
      },
    });

  it('decodes the percent-encoding the binding prescribes, and only it (a URI keeps its own escapes)', async () => {
    const res = await binary(
      {
        'ce-id': 'bin-pct',
        'ce-source': 'https://bars.example/a%2Fb',
        'ce-subject': 'caf%C3%A9 %25 %22ouvert%22',
        'ce-bar': 'x%20y',
        'content-type': 'application/json',
      },
      '{"n":1}',
    );
    expect(res.json()).toMatchObject({ accepted: 1 });
    const [row] = await rows(
      "SELECT ce_source, subject, CAST(ce_attributes AS TEXT) AS a FROM events WHERE id = 'bin-pct'",
    );
    expect(row).toMatchObject({ ce_source: 'https://bars.example/a%2Fb', subject: 'café % "ouvert"' });
    expect(JSON.parse(row!.a as string)).toEqual({ bar: 'x y', datacontenttype: 'application/json' });
  });

  it('refuses a JSON body that is not JSON, and an event without its required headers, with the field', async () => {
    const bad = await binary({ 'ce-id': 'bin-bad', 'content-type': 'application/json' }, '{"n":');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().rejected[0].error).toMatch(/^the body \(the event's data\) is not valid JSON/);
    const noId = await binary({ 'content-type': 'text/plain' }, 'hello');
    expect(noId.statusCode).toBe(400);
    expect(noId.json().rejected[0]).toMatchObject({ field: 'id' });
    const empty = await binary({ 'ce-id': 'bin-empty' });
    expect(empty.json()).toMatchObject({ accepted: 1 });
    expect(await rows("SELECT CAST(data AS TEXT) AS d FROM events WHERE id = 'bin-empty'")).toEqual([
      { d: 'null' },
    ]);
  });
});
