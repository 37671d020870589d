import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchBroker, queueNames } from '../src/match/broker.js';
import { Matcher } from '../src/match/matcher.js';
import type { Matching } from '../src/match/service.js';
import type { Runtime } from '../src/runtime.js';
import {
  ADMIN,
  engines,
  KEY,
  matchStep,
  open,
  PAY_HEADER,
  pay,
  paymentOf,
  scheme,
} from './support/matching.js';
import { tempDir } from './support/temp.js';

for (const engine of engines())
  describe(`transaction matching (${engine.name})`, () => {
    let runtime: Runtime;
    let app: FastifyInstance;
    let m: Matching;
    let dir: string;
    const post = (url: string, body: string, type: string, auth: string | null = KEY) =>
      app.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': type, ...(auth ? { authorization: auth } : {}) },
      });
    const importPayments = (rows: string[], name = `p${Math.random()}.csv`) =>
      post(`/v1/match/import/payment/visa?name=${name}`, `${PAY_HEADER}\n${rows.join('\n')}\n`, 'text/csv');
    const importSchemes = (rows: object[], owner = 'iceland') =>
      post(`/v1/match/import/scheme/${owner}`, JSON.stringify(rows), 'application/json');
    const payment = (transactionId: string) => paymentOf(runtime, transactionId);
    const step = (now?: Date) => matchStep(runtime, m, now);

    let broker: MatchBroker | undefined;
    const exported: { id: number; payment: string }[] = [];
    let consumer: amqp.ChannelModel | undefined;
    beforeAll(async () => {
      dir = tempDir();
      const prefix = `pmx.u${process.pid}x${Date.now() % 1e7}`;
      const rabbit = engine.rabbitmq ? `  rabbitmq: { url: "${engine.rabbitmq}", prefix: ${prefix} }\n` : '';
      ({ runtime, app, m } = await open(engine.store(dir), dir, rabbit));
      if (engine.rabbitmq) {
        // What the matching service does at start: connect, and publish exports through the exchange.
        broker = await MatchBroker.connect(engine.rabbitmq, queueNames(prefix, m.config.export.queue));
        m.attachBroker(broker);
        consumer = await amqp.connect(engine.rabbitmq);
        const ch = await consumer.createChannel();
        // A queue of the test's own on the export exchange: every export, as a downstream consumer sees it.
        const q = await ch.assertQueue('', { exclusive: true });
        await ch.bindQueue(q.queue, `${prefix}.export`, '');
        await ch.consume(q.queue, (msg) => {
          if (!msg) return;
          const body = JSON.parse(msg.content.toString());
          exported.push({ id: body.matched_transaction_id, payment: body.payment.transaction_id });
          ch.ack(msg);
        });
      }
      const merchants = await post(
        '/v1/match/merchants',
        'identifier,id_type,provider,scheme,location\nM1,primary,visa,iceland,Leeds\nM2,primary,visa,iceland,York\nM9,primary,visa,spotted,Bath\nA1,primary,amex,iceland,Bath\n',
        'text/csv',
      );
      expect(merchants.statusCode, merchants.body).toBe(201);
    });
    afterAll(async () => {
      await broker?.close();
      await consumer?.close();
      await app?.close();
      await runtime?.close();
    });

    it('matches a purchase, records the rules that decided it, and exports it once', async () => {
      const p = await importPayments([
        pay('t1', 'M1', '2026-11-02T10:00:00', '12.50', '555001'),
        pay('t1b', 'M1', '2026-11-02T10:00:30', '12.50', '555002'),
      ]);
      expect(p.statusCode, p.body).toBe(201);
      expect(p.json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
      // Two scheme records at the same merchant and price within the window: the auth code tells them apart.
      await importSchemes([
        scheme('s1', ['M1'], '2026-11-02T10:00:12', '12.50', '555001'),
        scheme('s1b', ['M1', 'M2'], '2026-11-02T10:00:20', '12.50', '555002'),
      ]);
      const r = await step();
      expect(r.matched).toBe(2);
      const t1 = await payment('t1');
      const detail = (await app.inject({ url: `/v1/match/transactions/payment/${t1!.id}` })).json();
      expect(detail.match).toMatchObject({
        match_type: 'loyalty',
        decided_by: ['merchant', 'amount', 'window', 'auth_code'],
        candidates: 2,
        scheme_transaction: { transaction_id: 's1' },
      });
      expect(detail.raw).toMatchObject({ 'Transaction ID': 't1', MID: 'M1' });
      const run = await m.exporter.run();
      expect(run.exported).toBe(2);
      expect((await m.exporter.run()).exported).toBe(0);
      const lines = readdirSync(path.join(dir, 'exports')).flatMap((f) =>
        readFileSync(path.join(dir, 'exports', f), 'utf8')
          .trim()
          .split('\n'),
      );
      const ids = lines.map((l) => JSON.parse(l).matched_transaction_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(lines.map((l) => JSON.parse(l).payment.transaction_id).sort()).toEqual(['t1', 't1b']);
      if (engine.rabbitmq) {
        for (let i = 0; i < 100 && exported.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 100));
        expect(exported.map((e) => e.payment).sort()).toEqual(['t1', 't1b']);
      }
    });

    it('imports the same file once and the same transaction once', async () => {
      const body = `${PAY_HEADER}\n${pay('d1', 'M1', '2026-11-03T09:00:00', '3.00')}\n`;
      const first = await post('/v1/match/import/payment/visa?name=dup.csv', body, 'text/csv');
      expect(first.json()).toMatchObject({ accepted: 1 });
      const again = await post('/v1/match/import/payment/visa?name=dup.csv', body, 'text/csv');
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ accepted: 0, alreadyImportedAs: first.json().matchGroup });
      // The same transaction in another file: stored once.
      const other = await importPayments([
        pay('d1', 'M1', '2026-11-03T09:00:00', '3.00'),
        pay('d2', 'M1', '2026-11-03T09:01:00', '4.00'),
      ]);
      expect(other.json()).toMatchObject({ accepted: 1, duplicates: 1 });
      await step();
      const n = await runtime.store.query(
        "SELECT count(*) AS n FROM match_payments WHERE transaction_id = 'd1'",
      );
      expect(Number(n[0]!.n)).toBe(1);
      const log = (await app.inject({ url: '/v1/match/imports' })).json().imports;
      expect(log.length).toBeGreaterThanOrEqual(3);
    });

    it('keeps a payment pending until a late scheme record arrives, then matches it', async () => {
      await importPayments([pay('late1', 'M2', '2026-11-04T12:00:00', '7.77', '777777')]);
      await step();
      expect((await payment('late1'))?.status).toBe('pending');
      await importSchemes([scheme('late-s1', ['M2'], '2026-11-04T12:00:40', '7.77', '777777')]);
      const r = await step();
      expect(r.matched).toBeGreaterThanOrEqual(1);
      expect((await payment('late1'))?.status).toBe('matched');
    });

    it('keeps and reports a payment whose merchant is unknown, and matches it once the merchant is added', async () => {
      await importPayments([pay('unk1', 'M404', '2026-11-05T08:00:00', '9.99', '404404')]);
      await importSchemes([scheme('unk-s1', ['M404'], '2026-11-05T08:00:05', '9.99', '404404')]);
      await step();
      expect((await payment('unk1'))?.status).toBe('unknown_merchant');
      const listed = (await app.inject({ url: '/v1/match/transactions?status=unknown_merchant' })).json();
      expect(listed.transactions.map((t: { transaction_id: string }) => t.transaction_id)).toContain('unk1');
      await post(
        '/v1/match/merchants',
        JSON.stringify([{ identifier: 'M404', id_type: 'primary', provider: 'visa', scheme: 'iceland' }]),
        'application/json',
      );
      const r = await step();
      expect(r.resolved).toBe(1);
      expect((await payment('unk1'))?.status).toBe('matched');
    });

    it('leaves two equally good candidates ambiguous, lists them, and takes a force-match', async () => {
      await importPayments([pay('amb1', 'M1', '2026-11-06T15:00:00', '20.00', '202020')]);
      // Two scheme records that agree with the payment on everything, at the same distance in time.
      await importSchemes([
        scheme('amb-s1', ['M1'], '2026-11-06T15:00:10', '20.00', '202020'),
        scheme('amb-s2', ['M1'], '2026-11-06T14:59:50', '20.00', '202020'),
      ]);
      const r = await step();
      expect(r.ambiguous).toBe(1);
      const amb = await payment('amb1');
      expect(amb?.status).toBe('ambiguous');
      const listed = (
        await app.inject({ url: '/v1/match/transactions?status=ambiguous&candidates=1' })
      ).json();
      const row = listed.transactions.find((t: { transaction_id: string }) => t.transaction_id === 'amb1');
      expect(row.candidates.map((c: { transaction_id: string }) => c.transaction_id).sort()).toEqual([
        'amb-s1',
        'amb-s2',
      ]);
      // Re-matching changes nothing: still a tie, never a guess.
      const again = await post(
        '/v1/match/rematch',
        JSON.stringify({ ids: [amb!.id] }),
        'application/json',
        ADMIN,
      );
      expect(again.json().pass.ambiguous).toBe(1);
      const s2 = await runtime.store.query("SELECT id FROM match_scheme_txs WHERE transaction_id = 'amb-s2'");
      const forced = await post(
        '/v1/match/force',
        JSON.stringify({ payment_id: amb!.id, scheme_transaction_id: Number(s2[0]!.id), by: 'alice' }),
        'application/json',
        ADMIN,
      );
      expect(forced.statusCode, forced.body).toBe(201);
      const detail = (await app.inject({ url: `/v1/match/transactions/payment/${amb!.id}` })).json();
      expect(detail.match).toMatchObject({
        match_type: 'forced',
        forced_by: 'alice',
        decided_by: ['forced'],
      });
      const twice = await post(
        '/v1/match/force',
        JSON.stringify({ payment_id: amb!.id, by: 'bob' }),
        'application/json',
        ADMIN,
      );
      expect(twice.statusCode).toBe(409);
    });

    it('matches by the same calendar day when a side has no time, and never across days', async () => {
      await post(
        '/v1/match/import/payment/amex?name=amex.json',
        JSON.stringify([
          {
            transaction_id: 'ax1',
            merchant_id: 'A1',
            date: '2026-11-07',
            amount: '15.00',
            currency: 'GBP',
            auth_code: '151515',
          },
          {
            transaction_id: 'ax2',
            merchant_id: 'A1',
            date: '2026-11-08',
            amount: '16.00',
            currency: 'GBP',
            auth_code: '161616',
          },
        ]),
        'application/json',
      );
      await importSchemes([
        scheme('ax-s1', ['A1'], '2026-11-07T21:45:00', '15.00', '151515'),
        // The day before ax2, late in the evening: not the same day.
        scheme('ax-s2', ['A1'], '2026-11-07T23:59:00', '16.00', '161616'),
      ]);
      await step();
      expect((await payment('ax1'))?.status).toBe('matched');
      expect((await payment('ax2'))?.status).toBe('pending');
    });

    it('never matches a candidate whose auth code or card disagrees', async () => {
      await importPayments([pay('neq1', 'M2', '2026-11-09T10:00:00', '5.55', '123123', '1111')]);
      await importSchemes([scheme('neq-s1', ['M2'], '2026-11-09T10:00:01', '5.55', '999999', '1111')]);
      await step();
      expect((await payment('neq1'))?.status).toBe('pending');
    });

    it('spots: for a spotting scheme the payment alone is the match', async () => {
      await importPayments([pay('spot1', 'M9', '2026-11-10T10:00:00', '2.00')]);
      const r = await step();
      expect(r.spotted).toBe(1);
      const p = await payment('spot1');
      const d = (await app.inject({ url: `/v1/match/transactions/payment/${p!.id}` })).json();
      expect(d.match).toMatchObject({ match_type: 'spotted', scheme_transaction: null });
    });

    it('makes what waited too long unmatched', async () => {
      await importPayments([pay('old1', 'M1', '2026-11-11T10:00:00', '1.23', '010101')]);
      await step();
      expect((await payment('old1'))?.status).toBe('pending');
      await step(new Date(Date.now() + 4 * 86_400_000));
      expect((await payment('old1'))?.status).toBe('unmatched');
    });

    it('refuses a bad row with its line and field, and imports its neighbours', async () => {
      const res = await importPayments([
        pay('ok1', 'M1', '2026-11-12T10:00:00', '1.00'),
        pay('bad1', 'M1', '2026-11-12T10:00:00', 'twelve'),
        pay('ok2', 'M1', '2026-11-31T10:00:00', '1.00'),
        pay('ok3', 'M1', '2026-11-12T10:01:00', '2.00'),
        // Clocks past 23:59 and the year 0000 were taken, became a time the stores cannot hold, and failed
        // the whole commit with every neighbour in it.
        pay('bad3', 'M1', '2026-11-12T25:00:00', '1.00'),
        pay('bad4', 'M1', '2026-11-12T10:61:00', '1.00'),
        pay('bad5', 'M1', '0000-01-01T10:00:00', '1.00'),
      ]);
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      expect(body.accepted).toBe(2);
      expect(body.rejected).toEqual([
        expect.objectContaining({ line: 3, field: 'Amount', error: expect.stringContaining('"twelve"') }),
        expect.objectContaining({ line: 4, field: 'time', error: expect.stringContaining('not a date') }),
        ...[6, 7, 8].map((line) =>
          expect.objectContaining({ line, field: 'time', error: expect.stringContaining('not a date') }),
        ),
      ]);
      const q = (await app.inject({ url: '/v1/quarantine' })).json();
      expect(JSON.stringify(q)).toContain('twelve');
    });

    it.runIf(engine.name === 'postgres')('runs passes of two workers one after the other', async () => {
      // Two worker processes on one PostgreSQL: each has its own matcher; their passes must not collide.
      const other = new Matcher(runtime.store, m.config);
      const rows = Array.from({ length: 40 }, (_, i) =>
        pay(
          `w${i}`,
          'M2',
          `2026-11-14T10:${String(i).padStart(2, '0')}:00`,
          '6.00',
          `60${String(i).padStart(4, '0')}`,
        ),
      );
      await importPayments(rows);
      await importSchemes(
        Array.from({ length: 40 }, (_, i) =>
          scheme(
            `ws${i}`,
            ['M2'],
            `2026-11-14T10:${String(i).padStart(2, '0')}:05`,
            '6.00',
            `60${String(i).padStart(4, '0')}`,
          ),
        ),
      );
      await runtime.committer.drain();
      await m.folder.fold();
      const [a, b] = await Promise.all([m.matcher.pass(), other.pass()]);
      expect(a.matched + b.matched).toBe(40);
      const n = await runtime.store.query(
        "SELECT count(*) AS n FROM match_matches mm JOIN match_payments p ON p.id = mm.payment_id WHERE p.transaction_id LIKE 'w%'",
      );
      expect(Number(n[0]!.n)).toBe(40);
    });

    it('counts by scheme, day and status, and guards reads and writes', async () => {
      const counts = (await app.inject({ url: '/v1/match/counts?scheme=iceland' })).json().counts;
      expect(counts).toContainEqual(
        expect.objectContaining({
          side: 'payment',
          scheme: 'iceland',
          day: '2026-11-02',
          status: 'matched',
          n: 2,
        }),
      );
      // A pass changes what matching decided: the admin scope's, not the matching source's write key.
      expect((await post('/v1/match/pass', '', 'application/json', null)).statusCode).toBe(401);
      expect(
        (await post('/v1/match/pass', '', 'application/json', 'Bearer not-a-key-at-all')).statusCode,
      ).toBe(403);
      expect((await post('/v1/match/pass', '', 'application/json', KEY)).statusCode).toBe(403);
      expect((await post('/v1/match/pass', '', 'application/json', ADMIN)).statusCode).toBe(200);
      const unknown = await post('/v1/match/import/payment/nobody?name=x.csv', `${PAY_HEADER}\n`, 'text/csv');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error).toContain('nobody is not a payment provider');
      // A bad query parameter is a 400 that names it (a date used to reach SQL's cast and answer 500).
      for (const [url, error] of [
        ['/v1/match/counts?from=banana', 'from must be a date such as 2026-11-24, not "banana"'],
        ['/v1/match/counts?to=2026-02-30', 'to must be a date such as 2026-11-24, not "2026-02-30"'],
        ['/v1/match/transactions?day=tuesday', 'day must be a date such as 2026-11-24, not "tuesday"'],
        ['/v1/match/transactions?limit=abc', 'limit must be a whole number from 1 to 1000, not "abc"'],
        [
          '/v1/match/transactions?status=nonsense',
          'status must be one of pending, matched, ambiguous, unmatched, unknown_merchant, not "nonsense"',
        ],
        ['/v1/match/exports?offset=-1', 'offset must be a whole number from 0 to 1000000000, not "-1"'],
      ]) {
        const res = await app.inject({ url: url! });
        expect([res.statusCode, res.json().error]).toEqual([400, error]);
      }
      const day = await app.inject({ url: '/v1/match/transactions?day=2026-11-02&limit=5' });
      expect(day.statusCode).toBe(200);
      expect(day.json().transactions.length).toBeGreaterThan(0);
    });
  });
