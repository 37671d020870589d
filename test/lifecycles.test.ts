import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { messagesGenerator } from '../src/generate/messages.js';
import { Random } from '../src/generate/random.js';
import { lifecycleTrackers } from '../src/lifecycle/service.js';
import { LifecycleTracker } from '../src/lifecycle/tracker.js';
import type { Runtime } from '../src/runtime.js';
import { startServices } from '../src/services.js';
import { testApp } from './support/runtime.js';
import type { StoreFactory } from './support/stores.js';
import { storeFactories } from './support/stores.js';

const LC = `
lifecycles:
  mail:
    key: subject
    app: data.app_id
    stages: [queued, sent, delivered, opened]
    terminal: [bounced, failed]
    deadlines: { delivered: { after: sent, within: 10m } }
`;
const def = parseConfig(LC).lifecycles.mail!;
const T = Date.parse('2026-11-24T10:00:00Z');
const ev = (id: string, msg: string, type: string, minute: number, app = 'news') => ({
  source: 'mail',
  id,
  type,
  subject: msg,
  time: T + minute * 60_000,
  data: JSON.stringify({ app_id: app }),
  receivedAt: T,
});

async function trackerWith(factory: StoreFactory, batches: ReturnType<typeof ev>[][], foldBetween: boolean) {
  const { store } = await factory.create();
  const t = new LifecycleTracker('mail', def, store);
  await t.init();
  for (const b of batches) {
    await store.append(b);
    if (foldBetween) await t.fold();
  }
  await t.fold();
  return { store, t };
}

for (const factory of storeFactories())
  describe(`lifecycle records (${factory.name})`, () => {
    const stream = [
      ev('1', 'm1', 'queued', 0),
      ev('2', 'm1', 'sent', 1),
      ev('3', 'm1', 'delivered', 2),
      ev('4', 'm1', 'opened', 30),
      ev('5', 'm2', 'queued', 0),
      ev('6', 'm2', 'delivered', 3),
      ev('7', 'm3', 'queued', 0),
      ev('8', 'm3', 'sent', 1),
      ev('9', 'm3', 'bounced', 2),
      ev('10', 'm3', 'delivered', 4),
      ev('11', 'm4', 'queued', 0),
      ev('12', 'm4', 'sent', 1),
      ev('13', 'm5', 'queued', 0),
      ev('14', 'm5', 'sent', 5),
      ev('15', 'm5', 'sent', 6),
    ];

    it('are the same for in-order, out-of-order and repeated delivery, and equal a rebuild', async () => {
      const inOrder = await trackerWith(factory, [stream], false);
      const rnd = new Random(3);
      const shuffled = [...stream].sort(() => rnd.next() - 0.5);
      const chunks = [
        shuffled.slice(0, 4),
        shuffled.slice(4, 9),
        [...shuffled.slice(9), ...shuffled.slice(0, 3)],
      ];
      const outOfOrder = await trackerWith(factory, chunks, true);
      const at = new Date(T + 60 * 60_000);
      const a = await inOrder.t.list({ limit: 100 }, at);
      const b = await outOfOrder.t.list({ limit: 100 }, at);
      expect(b).toEqual(a);
      await outOfOrder.t.rebuild();
      expect(await outOfOrder.t.list({ limit: 100 }, at)).toEqual(a);
      const m1 = await inOrder.t.get('m1', at);
      expect(m1).toMatchObject({
        currentStage: 'opened',
        missing: [],
        overdue: [],
        anomalies: [],
        events: 4,
        app: 'news',
      });
      const m2 = await inOrder.t.get('m2', at);
      expect(m2).toMatchObject({ currentStage: 'delivered', missing: ['sent'] });
      expect(m2!.stages.map((s) => s.status)).toEqual([
        'seen',
        'missing',
        'seen',
        'pending',
        'skipped',
        'skipped',
      ]);
      const m3 = await inOrder.t.get('m3', at);
      expect(m3).toMatchObject({
        currentStage: 'bounced',
        missing: [],
        anomalies: ['delivered after a terminal stage'],
      });
      const m5 = await inOrder.t.get('m5', at);
      expect(m5!.anomalies).toEqual(['sent seen 2 times']);
    });

    it('flag exactly the overdue messages at a given time', async () => {
      const { t } = await trackerWith(factory, [stream], false);
      // m4 was sent at 10:01 and never delivered: overdue from 10:11 on. m5 was sent at 10:05: overdue from 10:15.
      const ids = async (minute: number) =>
        (await t.list({ overdue: true }, new Date(T + minute * 60_000))).messages
          .map((m) => m.messageId)
          .sort();
      expect(await ids(11)).toEqual([]);
      expect(await ids(11.01)).toEqual(['m4']);
      expect(await ids(15.01)).toEqual(['m4', 'm5']);
      expect(
        (await t.list({ missing: 'delivered' }, new Date(T + 12 * 60_000))).messages.map((m) => m.messageId),
      ).toEqual(['m4']);
      expect((await t.list({ missing: 'sent' })).messages.map((m) => m.messageId)).toEqual(['m2']);
      expect(await t.funnel()).toEqual([
        { stage: 'queued', messages: 5 },
        { stage: 'sent', messages: 4 },
        { stage: 'delivered', messages: 3 },
        { stage: 'opened', messages: 1 },
        { stage: 'bounced', messages: 1 },
        { stage: 'failed', messages: 0 },
      ]);
    });

    it('from a generated Mars stream: incremental folding equals a rebuild from history', async () => {
      const { store } = await factory.create();
      const marsDef = parseConfig(`
lifecycles:
  m:
    stages: [MESSAGE_CREATED, MESSAGE_REACHED_BACKEND, MESSAGE_IN_SEARCH_QUEUE, MESSAGE_IN_UPDATES_QUEUE, MESSAGE_IN_WS_QUEUE, MESSAGE_REACHED_FRONTEND]
    terminal: [MESSAGE_FAILED]
    app: data.app_id
`).lifecycles.m!;
      const t = new LifecycleTracker('m', marsDef, store);
      await t.init();
      const events = [...messagesGenerator.generate({ count: 800, seed: 9, start: T })].map((e, i) => ({
        source: 'mars',
        id: `${e.message_id}:${e.event}:${e.created_at}`,
        type: String(e.event),
        subject: String(e.message_id),
        time: Date.parse(String(e.created_at)),
        data: JSON.stringify({ app_id: e.app_id }),
        receivedAt: T + i,
      }));
      for (let i = 0; i < events.length; i += 137) {
        await store.append(events.slice(i, i + 137));
        await t.fold();
      }
      const incremental = await store.query(`SELECT * FROM ${t.table} ORDER BY msg_key`);
      await t.rebuild();
      expect(await store.query(`SELECT * FROM ${t.table} ORDER BY msg_key`)).toEqual(incremental);
      expect(incremental).toHaveLength(800);
      const gaps = (await t.list({ missing: 'MESSAGE_IN_SEARCH_QUEUE', limit: 1000 })).total;
      expect(gaps).toBeGreaterThan(0);
    });
  });

describe('Mars intake and the lifecycle API', () => {
  let app: FastifyInstance;
  let runtime: Runtime;
  beforeAll(async () => {
    ({ app, runtime } = await testApp(
      `sources:\n  mars: {}\n${LC.replace('key: subject', 'key: subject\n    sources: [mars]\n    testTraffic: { enabled: true, messages: 5 }')}`,
    ));
  });
  afterAll(async () => {
    await app.close();
    await runtime.close();
  });

  it('accepts Mars events one by one and in bulk, and shows the timeline with missing stages', async () => {
    const one = await app.inject({
      method: 'POST',
      url: '/api/event',
      payload: { app_id: 'news', message_id: 'x1', event: 'queued', created_at: '2026-11-24T10:00:00Z' },
      headers: { 'content-type': 'application/json' },
    });
    expect(one.json()).toMatchObject({ accepted: 1 });
    const bulk = await app.inject({
      method: 'POST',
      url: '/api/event/bulk',
      payload: {
        events: [
          { app_id: 'news', message_id: 'x1', event: 'delivered', created_at: '2026-11-24T10:02:00Z' },
          { app_id: 'news', message_id: 'x1', event: 'queued', created_at: '2026-11-24T10:00:00Z' },
          { app_id: 'news', event: 'sent' },
        ],
      },
      headers: { 'content-type': 'application/json' },
    });
    expect(bulk.json()).toMatchObject({
      accepted: 2,
      duplicates: 1,
      rejected: [{ index: 2, field: 'message_id', error: 'message_id is required (a string)' }],
    });
    await (await lifecycleTrackers(runtime)).get('mail')!.fold();
    const res = await app.inject('/v1/lifecycles/mail/messages/x1');
    const body = res.json();
    expect(body.timeline.map((e: { type: string }) => e.type)).toEqual(['queued', 'delivered']);
    expect(body.stages.find((s: { stage: string }) => s.stage === 'sent').status).toBe('missing');
    expect(body.timeline[0].data).toEqual({ app_id: 'news' });
    expect((await app.inject('/v1/lifecycles/mail/messages?missing=sent')).json()).toMatchObject({
      total: 1,
    });
    expect((await app.inject('/v1/lifecycles/mail/messages?missing=nope')).json().error).toBe(
      'nope is not a stage of mail (stages: queued, sent, delivered, opened, bounced, failed)',
    );
    expect((await app.inject('/v1/lifecycles/mail/apps')).json().apps).toMatchObject([
      { app: 'news', messages: 1, completed: 0 },
    ]);
    expect((await app.inject('/v1/lifecycles/nope/funnel')).statusCode).toBe(404);
  });

  it('refuses odd Mars events one by one, each with the field at fault, and keeps the good ones', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/event/bulk',
      payload: {
        events: [
          { app_id: 'news', message_id: 'odd-1', event: 'queued', created_at: '2026-11-24T10:00:00Z' },
          { app_id: 'news', message_id: 42, event: 'sent' },
          { app_id: 'news', message_id: 'odd-3', event: ['sent'] },
          { app_id: 'news', message_id: 'odd-4', event: 'sent', created_at: 1e20 },
          { app_id: 'news', message_id: 'odd-5', event: 'sent', created_at: 'soon' },
          null,
          7,
        ],
      },
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        { index: 1, field: 'message_id', error: 'message_id must be a string, not the number 42' },
        { index: 2, field: 'event', error: 'event must be a string, not an array' },
        {
          index: 3,
          field: 'created_at',
          error:
            'created_at must be between the years 0001 and 9999, not 100000000000000000000 (epoch milliseconds)',
        },
        {
          index: 4,
          field: 'created_at',
          error: 'created_at must be an RFC 3339 timestamp such as 2026-11-24T10:00:00Z, not "soon"',
        },
        { index: 5, error: 'an event must be a JSON object, not null' },
        { index: 6, error: 'an event must be a JSON object, not the number 7' },
      ],
    });
  });

  it('generates test traffic on /api/create_event when enabled, through the normal intake', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/create_event' });
    expect(res.statusCode).toBe(200);
    expect(res.json().accepted).toBeGreaterThan(5);
    const [{ n }] = (await runtime.store.query(
      "SELECT count(DISTINCT subject) AS n FROM events WHERE subject LIKE 'msg-%'",
    )) as [{ n: number }];
    expect(n).toBe(5);
  });
});

describe('lifecycle health', () => {
  it('reports a failing tracker in /status even when a later tracker folds fine', async () => {
    const { app, runtime } = await testApp(
      'lifecycles:\n  first: { key: subject, stages: [queued, sent] }\n  second: { key: subject, stages: [queued, sent] }\n',
    );
    try {
      await startServices(runtime);
      const lifecycles = async () =>
        (await app.inject('/status')).json().checks.find((c: { name: string }) => c.name === 'lifecycles');
      const folded = async (names: string[]) => {
        const deadline = Date.now() + 5000;
        let check = await lifecycles();
        while (names.some((n) => check.detail.behindBy[n] !== 0) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          check = await lifecycles();
        }
        return check;
      };
      await runtime.committer.submit([ev('1', 'm1', 'queued', 0)]);
      expect((await folded(['first', 'second'])).ok).toBe(true);
      // The first tracker's records are gone: its folds fail, and the second's succeed right after each.
      await runtime.store.exec(`DROP TABLE ${(await lifecycleTrackers(runtime)).get('first')!.table}`);
      await runtime.committer.submit([ev('2', 'm1', 'sent', 1)]);
      const check = await folded(['second']);
      expect(check.detail.behindBy).toEqual({ first: 1, second: 0 });
      expect(check.ok).toBe(false);
      expect(check.status).toBe('down');
      expect(check.lastError).toMatch(/first/);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});
