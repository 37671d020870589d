import { afterEach, describe, expect, it } from 'vitest';
import { Forget } from '../src/forget/service.js';
import type { Runtime } from '../src/runtime.js';
import { engines, KEY, matchStep, open, PAY_HEADER, pay, paymentOf, scheme } from './support/matching.js';
import { tempDir } from './support/temp.js';

// Matching transactions are financial records: an erasure keeps them unless the project says erase.
for (const engine of engines().filter((e) => !e.rabbitmq))
  describe(`erasure and matching transactions (${engine.name})`, () => {
    const open_: Runtime[] = [];
    afterEach(async () => {
      for (const r of open_.splice(0)) await r.close().catch(() => undefined);
    });

    const matchedPair = async (extra = '') => {
      const dir = tempDir();
      const { runtime, app, m } = await open(engine.store(dir), dir, extra);
      open_.push(runtime);
      const post = (url: string, body: string, type: string) =>
        app.inject({
          method: 'POST',
          url,
          payload: body,
          headers: { 'content-type': type, authorization: KEY },
        });
      const merchants = await post(
        '/v1/match/merchants',
        'identifier,id_type,provider,scheme,location\nM1,primary,visa,iceland,Leeds\n',
        'text/csv',
      );
      expect(merchants.statusCode, merchants.body).toBe(201);
      await post(
        '/v1/match/import/payment/visa?name=p.csv',
        `${PAY_HEADER}\n${pay('t1', 'M1', '2026-11-02T10:00:00', '12.50')}\n`,
        'text/csv',
      );
      await post(
        '/v1/match/import/scheme/iceland',
        JSON.stringify([scheme('s1', ['M1'], '2026-11-02T10:00:12', '12.50')]),
        'application/json',
      );
      expect((await matchStep(runtime, m)).matched).toBe(1);
      return runtime;
    };

    it('keeps them by default, and says how many it kept', async () => {
      const runtime = await matchedPair();
      const d = await (await Forget.of(runtime)).runToEnd({ subject: 't1', suppress: false });
      expect(d.counts).toMatchObject({ events: 1, transactions_kept: 1 });
      expect(d.counts.transactions).toBeUndefined();
      expect((await paymentOf(runtime, 't1'))?.status).toBe('matched');
      // The payment's event is gone all the same (the event log is not the financial record).
      expect(await runtime.store.query("SELECT id FROM events WHERE subject = 't1'")).toEqual([]);
    });

    it('erases them with erasure.transactions: erase, and their counterparts wait to be matched again', async () => {
      const runtime = await matchedPair('erasure: { transactions: erase }');
      const d = await (await Forget.of(runtime)).runToEnd({ subject: 't1', suppress: false });
      expect(d.counts).toMatchObject({ events: 1, transactions: 1 });
      expect(await paymentOf(runtime, 't1')).toBeUndefined();
      expect(await runtime.store.query('SELECT id FROM match_matches')).toEqual([]);
      const [s1] = await runtime.store.query(
        "SELECT status FROM match_scheme_txs WHERE transaction_id = 's1'",
      );
      expect(s1?.status).toBe('pending');
    });
  });
