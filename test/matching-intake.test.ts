import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Matching } from '../src/match/service.js';
import type { Runtime } from '../src/runtime.js';
import { BrokerBatcher } from '../src/sources/broker-batch.js';
import { engines, KEY, matchStep, open, paymentOf } from './support/matching.js';
import { tempDir } from './support/temp.js';

// Transactions that arrive as events (the event API, a broker source) pass the same checks as imported ones.
for (const engine of engines())
  describe(`transaction intake by events (${engine.name})`, () => {
    let runtime: Runtime;
    let app: FastifyInstance;
    let m: Matching;
    const post = (url: string, body: string, type: string) =>
      app.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': type, authorization: KEY },
      });
    const payment = (transactionId: string) => paymentOf(runtime, transactionId);
    const step = () => matchStep(runtime, m);

    beforeAll(async () => {
      const dir = tempDir();
      ({ runtime, app, m } = await open(engine.store(dir), dir));
      const merchants = await post(
        '/v1/match/merchants',
        'identifier,id_type,provider,scheme,location\nM2,primary,visa,iceland,York\n',
        'text/csv',
      );
      expect(merchants.statusCode, merchants.body).toBe(201);
    });
    afterAll(async () => {
      await app?.close();
      await runtime?.close();
    });

    it('takes transactions from the event API with the same checks', async () => {
      const ok = await post(
        '/v1/events',
        JSON.stringify([
          {
            source: 'matching',
            id: 'ev-1',
            type: 'payment_transaction',
            data: {
              provider: 'visa',
              transaction_id: 'ev1',
              merchant_id: 'M2',
              time: '2026-11-13T10:00:00',
              amount: '8.00',
              currency: 'GBP',
              auth_code: '808080',
            },
          },
          {
            source: 'matching',
            id: 'ev-2',
            type: 'scheme_transaction',
            data: {
              scheme: 'iceland',
              transaction_id: 'ev1s',
              merchant_ids: ['M2'],
              time: '2026-11-13T10:00:30',
              amount: '8.00',
              currency: 'GBP',
              auth_code: '808080',
            },
          },
          {
            source: 'matching',
            id: 'ev-3',
            type: 'payment_transaction',
            data: { provider: 'visa', transaction_id: 'ev3' },
          },
        ]),
        'application/json',
      );
      expect(ok.json()).toMatchObject({ accepted: 2, rejected: [{ index: 2, field: 'data.date' }] });
      await step();
      expect((await payment('ev1'))?.status).toBe('matched');
    });

    // A bad transaction stored from a broker would fail every later fold (its amount cannot be cast): brokers
    // apply the same contracts, and quarantine what fails them.
    it('takes transactions from a broker source with the same checks', async () => {
      const settled: string[] = [];
      const message = (data: unknown, id: string) => ({
        body: Buffer.from(JSON.stringify({ id, type: 'payment_transaction', data })),
        ack: () => settled.push(`ack ${id}`),
        nack: () => settled.push(`nack ${id}`),
      });
      const batcher = new BrokerBatcher(runtime, 'matching', 10, 10);
      const good = {
        provider: 'visa',
        transaction_id: 'bq1',
        merchant_id: 'M2',
        time: '2026-11-13T11:00:00',
      };
      batcher.push(message({ ...good, amount: '3.00', currency: 'GBP' }, 'bq-1'));
      batcher.push(message({ ...good, transaction_id: 'bq2', amount: 'lots', currency: 'GBP' }, 'bq-2'));
      await batcher.drain();
      expect(settled).toEqual(['ack bq-1', 'ack bq-2']);
      expect(batcher.stats).toMatchObject({ stored: 1, quarantined: 1 });
      const held = await runtime.store.query(
        "SELECT reason, field FROM panoramix_quarantine WHERE raw LIKE '%bq-2%'",
      );
      expect(held).toEqual([{ reason: 'schema', field: 'data.amount' }]);
      await step();
      expect((await payment('bq1'))?.status).toBe('pending');
    });
  });
