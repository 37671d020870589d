import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { messagesGenerator } from '../src/generate/messages.js';
import { ordersGenerator } from '../src/generate/orders.js';
import { extractAndLoad } from '../src/lake/extract-load.js';
import { lifecycleTrackers } from '../src/lifecycle/service.js';
import { projectionEngine } from '../src/project/service.js';
import type { Runtime } from '../src/runtime.js';
import { createApp } from '../src/serve/app.js';
import { startServices } from '../src/services.js';
import { launchChromium, openDashboard, SHOTS } from './support/browser.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

const TOKEN = 'rt_dashboard_test';
const ADMIN = 'at_dashboard_admin';
const LIMITED = 'rt_dashboard_orders_only';
const _MATCH_KEY = 'wk_dashboard_matching';

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
      .replace(/readTokens: .*/, `readTokens: [${TOKEN}, { token: ${LIMITED}, projections: [orders] }]`)
      .replace(/adminTokens: .*/, `adminTokens: [${ADMIN}]`)
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
    browser = await launchChromium(chromiumPath);
    close = async () => {
      await browser.close();
      await app.close();
      await runtime.close();
    };
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => close?.());

  const open = (
    route: string,
    waitFor: string,
    options: { base?: string; viewport?: { width: number; height: number }; token?: string } = {},
  ) =>
    openDashboard(browser, options.base ?? base, route, waitFor, {
      token: options.token ?? TOKEN,
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });

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

  it('filters events by CloudEvents source and shows it beside the source', async () => {
    const now = Date.now();
    await runtime.committer.submit([
      {
        source: 'mars',
        ceSource: 'urn:dash:1',
        id: 'dash-ce-1',
        type: 't',
        subject: null,
        time: now,
        data: '{}',
        receivedAt: now,
      },
    ]);
    const { page, errors } = await open(`events?ce_source=${encodeURIComponent('urn:dash:1')}`, 'tbody tr');
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('urn:dash:1');
    expect(errors).toEqual([]);
    await page.close();
  });

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

  it('running a report from the page (admin token) produces a file, downloaded with the token in a header', async () => {
    const { page, errors } = await open('reports', 'section.report[data-report=status] form.run', {
      token: ADMIN,
    });
    const form = page.locator('section.report[data-report=status] form.run');
    await form.locator('input[name=offset]').fill('3h');
    await form.locator('button').click();
    const link = form.locator('.result a[data-download]');
    await link.waitFor();
    const href = await link.getAttribute('data-download');
    // The file is not served to a URL alone any more: it needs the token, which the page sends in a header.
    expect((await fetch(`${base}${href}`)).status).toBe(401);
    const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(file.suggestedFilename()).toMatch(/^status-.*\.csv$/);
    const text = fs.readFileSync((await file.path())!, 'utf8');
    expect(text.split('\n')[0]).toBe('status,orders');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a read token is not offered what it may not do: no run form, no replay', async () => {
    const { page, errors } = await open('reports', 'section.report[data-report=status]');
    expect(await page.locator('form.run').count()).toBe(0);
    await page.goto(`${base}/#/quarantine`);
    await page.waitForSelector('h1:text("Quarantine")');
    expect(await page.locator('#replay').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a limited token sees what it is granted and is told, not signed out, where it may not go', async () => {
    const { page, errors } = await open('projections', '.tabs a', { token: LIMITED });
    expect(await page.locator('.tabs a').allTextContents()).toEqual(['orders']);
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    await page.goto(`${base}/#/reports`);
    await page.waitForSelector('.error');
    expect(await page.locator('.error').textContent()).toContain('this token is limited');
    expect(await page.locator('form#login').count()).toBe(0);
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
    await page.close();
  });

  it('a projection downloads as CSV through the page', async () => {
    const { page, errors } = await open('projections?name=orders', 'a[data-download]');
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a[data-download]', { hasText: 'CSV' }).click(),
    ]);
    const text = fs.readFileSync((await file.path())!, 'utf8');
    expect(text.split('\n')[0]).toContain('order_id');
    expect(text.split('\n').length).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the Matching page of a project without matching says so', async () => {
    const { page, errors } = await open('matching', 'p.empty');
    expect(await page.locator('p.empty').textContent()).toContain('Matching is not configured');
    expect(errors).toEqual([]);
    await page.close();
  });
});
