import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import {
  type GeneratedTransaction,
  generateTransactions,
  loyaltyWorld,
} from '../src/generate/transactions.js';
import { createApp } from '../src/serve/app.js';
import { startServices } from '../src/services.js';
import { launchChromium, openDashboard, SHOTS } from './support/browser.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

const TOKEN = 'rt_dashboard_test';
const _ADMIN = 'at_dashboard_admin';
const _LIMITED = 'rt_dashboard_orders_only';
const MATCH_KEY = 'wk_dashboard_matching';

describeWith('chromium', 'the dashboard of transaction matching in a real browser', (chromiumPath) => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(chromiumPath);
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => browser?.close());

  const open = (
    route: string,
    waitFor: string,
    options: { base: string; viewport?: { width: number; height: number } },
  ) =>
    openDashboard(browser, options.base, route, waitFor, {
      token: TOKEN,
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });

  describe('with transaction matching (examples/loyalty without RabbitMQ)', () => {
    let mbase = '';
    let mclose: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const dir = tempDir();
      // Exports go to files in ./exports; one failed try is final, so a blocked directory makes EXPORT_FAILED.
      const yaml = fs
        .readFileSync(path.resolve(import.meta.dirname, '../examples/loyalty/panoramix.yaml'), 'utf8')
        .replace('path: ./data/loyalty.duckdb', `path: ${dir}/store.duckdb`)
        .replace('port: 8082', 'port: 0')
        .replace(/readTokens: .*/, `readTokens: [${TOKEN}]`)
        .replace(/writeKeys: .*/, `writeKeys: [${MATCH_KEY}]`)
        .replace(/\n {2}importDir: .*/, '')
        .replace(/\n {2}rabbitmq:\n {4}url: .*/, '')
        .replace('dir: ./exports', 'dir: ./exports\n    maxAttempts: 1');
      expect(yaml).not.toMatch(/rabbitmq:|importDir:/);
      const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
      await startServices(runtime);
      const app = await createApp(runtime);
      mbase = await app.listen({ host: '127.0.0.1', port: 0 });
      mclose = async () => {
        await app.close();
        await runtime.close();
      };
      const config = runtime.config.matching!;
      const post = async (route: string, body: string, type: string) => {
        const res = await fetch(`${mbase}${route}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MATCH_KEY}`, 'content-type': type },
          body,
        });
        const answer = (await res.json()) as { rejected?: unknown[] };
        expect(res.status, JSON.stringify(answer)).toBeLessThan(300);
        expect(answer.rejected ?? []).toEqual([]);
      };
      // Each provider's and scheme's records in their own column names: payments as CSV, schemes as JSON.
      const upload = async (list: GeneratedTransaction[], name: string) => {
        for (const side of ['payment', 'scheme'] as const) {
          for (const owner of new Set(list.filter((t) => t.side === side).map((t) => t.owner))) {
            const columns =
              (side === 'payment' ? config.providers[owner]?.columns : config.schemes[owner]?.columns) ?? {};
            const rows = list
              .filter((t) => t.side === side && t.owner === owner)
              .map((t) => Object.fromEntries(Object.entries(t.record).map(([k, v]) => [columns[k] ?? k, v])));
            if (side === 'scheme') {
              await post(
                `/v1/match/import/scheme/${owner}?name=${name}-${owner}.json`,
                JSON.stringify(rows),
                'application/json',
              );
              continue;
            }
            const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
            const cell = (v = '') => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
            const csv = [header, ...rows.map((r) => header.map((h) => r[h]))].map((r) =>
              r.map(cell).join(','),
            );
            await post(
              `/v1/match/import/payment/${owner}?name=${name}-${owner}.csv`,
              `${csv.join('\n')}\n`,
              'text/csv',
            );
          }
        }
      };
      const summary = async () =>
        (await (
          await fetch(`${mbase}/v1/match/summary`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).json()) as {
          totals: { payment: Record<string, number> };
          exports: Record<string, number>;
          checkins: unknown[];
        };
      const until = async (what: string, ok: (s: Awaited<ReturnType<typeof summary>>) => boolean) => {
        for (let i = 0; i < 300; i++) {
          const s = await summary();
          if (ok(s)) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`matching never got to: ${what} (${JSON.stringify(await summary())})`);
      };

      const now = Date.now();
      const world = loyaltyWorld(200, 5);
      await post('/v1/match/merchants', JSON.stringify(world.merchants), 'application/json');
      // First: a pair that matches while the export directory is blocked (EXPORT_FAILED), one payment with
      // two scheme transactions equal in every field but their id (ambiguous), and an unknown merchant.
      const m = world.merchants.find((x) => x.provider === 'visa' && x.scheme === 'iceland')!;
      const day = new Date(now).toISOString().slice(0, 10);
      const tx = (side: 'payment' | 'scheme', id: string, time: string, amount: string, auth: string) => ({
        side,
        owner: side === 'payment' ? 'visa' : 'iceland',
        purchase: -1,
        record: {
          transaction_id: id,
          ...(side === 'payment'
            ? { feed_type: 'settled', merchant_id: id.endsWith('unknown') ? '99999999' : m.identifier }
            : { merchant_ids: m.identifier }),
          time: `${day}T${time}`,
          amount,
          currency: 'GBP',
          first_six: '454545',
          last_four: auth.slice(0, 4),
          auth_code: auth,
        },
      });
      fs.writeFileSync(path.join(dir, 'exports'), 'a file where the export directory should be');
      await upload(
        [
          tx('payment', 'x-failed', '09:00:00', '123.45', '111111'),
          tx('payment', 'x-ambiguous', '10:00:00', '67.89', '222222'),
          tx('payment', 'x-unknown', '11:00:00', '5.00', '333333'),
          tx('scheme', 'xs-failed', '09:00:10', '123.45', '111111'),
          tx('scheme', 'xs-ambiguous-1', '10:00:05', '67.89', '222222'),
          tx('scheme', 'xs-ambiguous-2', '10:00:05', '67.89', '222222'),
        ],
        'first',
      );
      await until('an ambiguous payment and a failed export', (s) =>
        Boolean(s.totals.payment.ambiguous && s.exports.EXPORT_FAILED),
      );
      fs.rmSync(path.join(dir, 'exports'));
      // Then five days of generated purchases: mostly matched and exported, some pending.
      await upload(
        [...generateTransactions({ count: 200, seed: 5, start: now - 5 * 86_400_000, days: 5 })],
        'generated',
      );
      await until('the generated purchases matched and exported', (s) =>
        Boolean(
          (s.totals.payment.matched ?? 0) > 100 &&
            s.exports.EXPORTED &&
            !s.exports.PENDING &&
            s.checkins.length === 3,
        ),
      );
    });
    afterAll(async () => mclose?.());

    // It used to request /v1/lake, get a 404 and log it as a console error.
    it('the Lake page of a project without a lake says so, with no console errors', async () => {
      const { page, errors } = await open('lake', 'p.empty', { base: mbase });
      expect(await page.locator('p.empty').textContent()).toContain('Lake is not configured');
      expect(errors).toEqual([]);
      await page.close();
    });

    it('loads #/matching with data and no console errors', async () => {
      const { page, errors } = await open('matching', '#list tbody tr', { base: mbase });
      await page.waitForSelector('#chart canvas');
      expect(await page.locator('#counts tbody tr').count()).toBeGreaterThan(5);
      // The ambiguous payment (the default list) with its two equal candidates after it.
      const rows = await page.locator('#list tbody tr').allTextContents();
      const at = rows.findIndex((r) => r.includes('x-ambiguous'));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(rows[at + 1]).toContain('candidate 1');
      expect(rows[at + 2]).toContain('candidate 2');
      const checkins = await page.locator('section.split').first().textContent();
      for (const c of ['importer', 'matcher', 'exporter']) expect(checkins).toContain(c);
      expect(checkins).not.toContain('never');
      expect(await page.locator('#failed tbody tr').count()).toBe(1);
      expect(await page.locator('#failed tbody').textContent()).toContain('EEXIST');
      await page.screenshot({ path: path.join(SHOTS, 'matching.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(await page.locator('.error').count()).toBe(0);
      await page.close();
    });

    it('clicking a transaction shows its candidates, or its match with the rules that decided it', async () => {
      const { page, errors } = await open('matching?status=ambiguous', '#list tbody tr', { base: mbase });
      await page.locator('#list tbody tr', { hasText: 'x-ambiguous' }).click();
      await page.waitForSelector('#detail');
      const detail = page.locator('#detail');
      expect(await detail.locator('h2').textContent()).toContain('ambiguous');
      expect(await detail.locator('.decision h3').textContent()).toContain('Candidates');
      expect(await detail.locator('.decision tbody tr').count()).toBe(2);
      expect(await detail.locator('pre.json').textContent()).toContain('x-ambiguous');
      await page.screenshot({ path: path.join(SHOTS, 'matching-transaction.png'), fullPage: true });
      // A candidate opens the scheme transaction.
      await detail.locator('.decision tbody tr').first().click();
      await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent?.includes('Scheme'));

      await page.goto(`${mbase}/#/matching?status=matched`);
      await page.waitForSelector('#list tbody tr');
      // Any matched row but x-failed, whose export was blocked on purpose (it sorts first before 09:00 UTC).
      await page.locator('#list tbody tr', { hasNotText: 'x-failed' }).first().click();
      await page.waitForSelector('#detail .rules');
      expect(await page.locator('#detail .rules').textContent()).toContain('merchant');
      expect(await page.locator('#detail').textContent()).toContain('EXPORTED');
      await page.screenshot({ path: path.join(SHOTS, 'matching-match.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });

    it('fits a phone screen', async () => {
      const { page, errors } = await open('matching?status=ambiguous', '#list tbody tr', {
        base: mbase,
        viewport: { width: 390, height: 844 },
      });
      await page.locator('#list tbody tr', { hasText: 'x-ambiguous' }).click();
      await page.waitForSelector('#detail pre.json');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: path.join(SHOTS, 'matching-phone.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
