import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { messagesGenerator } from '../src/generate/messages.js';
import { ordersGenerator } from '../src/generate/orders.js';
import { extractAndLoad } from '../src/lake/extract-load.js';
import { lifecycleTrackers } from '../src/lifecycle/service.js';
import { projectionEngine } from '../src/project/service.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { createApp } from '../src/serve/app.js';
import { startServices } from '../src/services.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

const TOKEN = 'rt_dashboard_test';
const SHOTS = path.resolve(import.meta.dirname, '../test-output/screenshots');

describeWith('chromium', 'the dashboard in a real browser', (chromiumPath) => {
  let runtime: Runtime;
  let base = '';
  let browser: Browser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const dir = tempDir();
    const orders = fs.readFileSync(
      path.resolve(import.meta.dirname, '../examples/orders/panoramix.yaml'),
      'utf8',
    );
    const lifecycle = fs
      .readFileSync(path.resolve(import.meta.dirname, '../examples/messaging/panoramix.yaml'), 'utf8')
      .split('lifecycles:')[1];
    const yaml = orders
      .replace('path: ./data/panoramix.duckdb', `path: ${dir}/store.duckdb`)
      .replace('port: 8080', 'port: 0')
      .replace(/readTokens: .*/, `readTokens: [${TOKEN}]`)
      .replace('sources:\n', 'sources:\n  mars: {}\n')
      .concat(`\nlifecycles:${lifecycle}`)
      .concat(
        `\nlake:\n  target: ${dir}/lake\n  datasources: { self: { type: store } }\n  tables:\n    events:\n      datasources: [self]\n      fields: { seq: bigint, type: text, time: timestamp }\n      partitions: [type]\n`,
      );
    runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
    const read = runtime.ingest.readerFor('orders');
    const now = Date.now();
    const events: NewEvent[] = [];
    for (const e of ordersGenerator.generate({ count: 400, seed: 2, start: now - 400 * 4000 - 3_600_000 })) {
      const r = read(e, 'orders', now);
      if (r.ok) events.push(r.event);
    }
    for (const e of messagesGenerator.generate({ count: 200, seed: 2, start: now - 600_000 })) {
      events.push({
        source: 'mars',
        id: `${e.message_id}:${e.event}:${e.created_at}`,
        type: String(e.event),
        subject: String(e.message_id),
        time: Date.parse(String(e.created_at)),
        data: JSON.stringify({ app_id: e.app_id }),
        receivedAt: now,
      });
    }
    await runtime.committer.submit(events);
    await startServices(runtime);
    const engine = await projectionEngine(runtime);
    for (const name of engine.plans.keys()) await engine.rebuild(name);
    for (const t of (await lifecycleTrackers(runtime)).values()) await t.fold();
    await extractAndLoad(runtime, { force: true });
    const app = await createApp(runtime);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    close = async () => {
      await browser.close();
      await app.close();
      await runtime.close();
    };
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => close?.());

  async function open(route: string, waitFor: string) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Signed in before the first request, as a returning user is.
    await page.addInitScript((t) => localStorage.setItem('panoramix.readToken', t), TOKEN);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#/${route}`);
    await page.waitForSelector(waitFor, { timeout: 15_000 });
    return { page, errors };
  }

  it('asks for the read token, then shows the overview', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/#/events`);
    await page.waitForSelector('form#login');
    await page.fill('input[name=token]', TOKEN);
    await page.click('form#login button');
    await page.waitForSelector('table');
    await page.close();
  });

  for (const [route, waitFor] of [
    ['', '#chart canvas'],
    ['events?type=product_ordered', 'tbody tr'],
    ['projections?name=orders_per_hour', '#chart canvas'],
    ['reports', 'section.report'],
    ['lifecycles', '.funnel .bar'],
    ['quarantine', 'h1'],
    ['lake', 'section'],
    ['matching', 'p.empty'],
  ] as const) {
    it(`loads #/${route} with data and no console errors`, async () => {
      const { page, errors } = await open(route, waitFor);
      await page.screenshot({
        path: path.join(SHOTS, `${route.split('?')[0] || 'overview'}.png`),
        fullPage: true,
      });
      expect(errors).toEqual([]);
      expect(await page.locator('.error').count()).toBe(0);
      await page.close();
    });
  }

  it('searching a message id shows its timeline with missing stages marked', async () => {
    const tracker = (await lifecycleTrackers(runtime)).get('messages')!;
    const gap = (await tracker.list({ missing: 'MESSAGE_IN_SEARCH_QUEUE', limit: 1 })).messages[0];
    expect(gap).toBeDefined();
    const { page, errors } = await open('lifecycles', '#search');
    await page.fill('#search input[name=id]', gap!.messageId);
    await page.click('#search button');
    await page.waitForSelector('ol.timeline');
    expect(await page.locator('li.stage.missing').first().textContent()).toContain('MESSAGE_IN_SEARCH_QUEUE');
    expect(await page.locator('#events tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'lifecycle-timeline.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('running a report from the page produces a file', async () => {
    const { page } = await open('reports', 'section.report[data-report=status] form.run');
    const form = page.locator('section.report[data-report=status] form.run');
    await form.locator('input[name=offset]').fill('3h');
    await form.locator('button').click();
    await page.waitForSelector('section.report[data-report=status] .result a[download]');
    const href = await form.locator('.result a[download]').getAttribute('href');
    const res = await fetch(`${base}${href}`);
    expect(res.status).toBe(200);
    expect((await res.text()).split('\n')[0]).toBe('status,orders');
    await page.close();
  });
});
