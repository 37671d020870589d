import { CloudEvent, emitterFor, httpTransport, Mode } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';

// The official CloudEvents JS SDK, unchanged, sending to a listening Panoramix (issue 15).
const KEY = 'wk_bars_0123456789';
let app: FastifyInstance;
let runtime: Runtime;
let url: string;

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
sources:
  bars:
    writeKeys: [${KEY}]
    cloudevents: { sources: ["https://bars.example/", "/bars/"] }
`));
  url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/v1/events`;
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

const headers = { authorization: `Bearer ${KEY}` };
// The SDK's HTTP transport resolves with the answer's headers and body (no status).
const answer = (response: unknown) => JSON.parse((response as { body: string }).body);
const stored = async (id: string) => {
  const [row] = await runtime.store.query(
    `SELECT source, ce_source, type, subject, time, CAST(data AS TEXT) AS data,
            CAST(ce_attributes AS TEXT) AS attributes FROM events WHERE id = $1`,
    [id],
  );
  return (
    row && { ...row, data: JSON.parse(row.data as string), attributes: JSON.parse(row.attributes as string) }
  );
};

describe('the cloudevents SDK', () => {
  it('sends in binary mode by default: ce-* headers are the envelope and extensions, the body the data', async () => {
    const emit = emitterFor(httpTransport(url));
    const event = new CloudEvent({
      id: 'sdk-bin-1',
      source: 'https://bars.example/cloudevents',
      type: 'bar.opened',
      subject: 'bar-7',
      time: '2026-11-24T10:00:00.000Z',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      partitionkey: 'bar-7',
      data: { seats: 40, name: 'Chez Chloé' },
    });
    const res = await emit(event, { headers });
    expect(answer(res)).toMatchObject({ accepted: 1, rejected: [] });
    expect(await stored('sdk-bin-1')).toEqual({
      source: 'bars',
      ce_source: 'https://bars.example/cloudevents',
      type: 'bar.opened',
      subject: 'bar-7',
      time: new Date('2026-11-24T10:00:00Z'),
      data: { seats: 40, name: 'Chez Chloé' },
      attributes: {
        datacontenttype: 'application/json; charset=utf-8', // the SDK's own, kept as sent
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        partitionkey: 'bar-7',
      },
    });
  });

  it('keeps text data as text and bytes as base64, with their content type', async () => {
    const emit = emitterFor(httpTransport(url));
    const text = new CloudEvent<unknown>({
      id: 'sdk-text',
      source: '/bars/menu',
      type: 'menu.printed',
      datacontenttype: 'text/plain; charset=utf-8',
      data: 'soupe du jour: potiron',
    });
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    const binary = new CloudEvent<unknown>({
      id: 'sdk-bytes',
      source: '/bars/till',
      type: 'till.dumped',
      datacontenttype: 'application/octet-stream',
      data: bytes,
    });
    for (const e of [text, binary]) expect(answer(await emit(e, { headers }))).toMatchObject({ accepted: 1 });
    expect(await stored('sdk-text')).toMatchObject({
      data: 'soupe du jour: potiron',
      attributes: { datacontenttype: 'text/plain; charset=utf-8' },
    });
    const kept = await stored('sdk-bytes');
    expect(kept).toMatchObject({ attributes: { datacontenttype: 'application/octet-stream' } });
    expect([...Buffer.from(kept!.data as string, 'base64')]).toEqual([...bytes]);
  });

  it('sends bytes in structured mode as data_base64, kept as the same base64 text', async () => {
    const emit = emitterFor(httpTransport(url), { mode: Mode.STRUCTURED });
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    const e = new CloudEvent<unknown>({
      id: 'sdk-b64',
      source: '/bars/till',
      type: 'till.dumped',
      datacontenttype: 'application/octet-stream',
      data: bytes,
    });
    expect(answer(await emit(e, { headers }))).toMatchObject({ accepted: 1 });
    const kept = await stored('sdk-b64');
    expect(kept).toMatchObject({ attributes: { datacontenttype: 'application/octet-stream' } });
    expect([...Buffer.from(kept!.data as string, 'base64')]).toEqual([...bytes]);
  });

  it('sends in structured mode, and a batch of its events, one id from two sources being two events', async () => {
    const emit = emitterFor(httpTransport(url), { mode: Mode.STRUCTURED });
    const a = new CloudEvent({
      id: 'sdk-same',
      source: 'https://bars.example/a',
      type: 'bar.opened',
      data: { n: 1 },
    });
    const res = await emit(a, { headers });
    expect(answer(res)).toMatchObject({ accepted: 1 });
    const b = a.cloneWith({ source: '/bars/b' });
    const batch = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([a, b]),
    });
    expect(batch.status).toBe(200);
    expect(await batch.json()).toMatchObject({ accepted: 2, duplicates: 1 });
    const rows = await runtime.store.query(
      "SELECT ce_source FROM events WHERE id = 'sdk-same' ORDER BY ce_source",
    );
    expect(rows).toEqual([{ ce_source: '/bars/b' }, { ce_source: 'https://bars.example/a' }]);
  });

  it('is refused (403, naming the accepted prefixes) from a CloudEvents source the source does not accept', async () => {
    const emit = emitterFor(httpTransport(url));
    const res = await emit(
      new CloudEvent({ id: 'sdk-foreign', source: 'urn:elsewhere', type: 't', data: {} }),
      {
        headers,
      },
    );
    expect(answer(res).error).toBe(
      'source "urn:elsewhere" is not one source "bars" accepts (cloudevents.sources: "https://bars.example/", "/bars/")',
    );
    const raw = await fetch(url, {
      method: 'POST',
      headers: {
        ...headers,
        'ce-specversion': '1.0',
        'ce-id': 'x',
        'ce-source': 'urn:elsewhere',
        'ce-type': 't',
      },
    });
    expect(raw.status).toBe(403);
    expect(await stored('sdk-foreign')).toBeUndefined();
  });
});
