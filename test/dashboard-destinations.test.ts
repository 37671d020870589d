import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { Runtime } from '../src/runtime.js';
import { createApp } from '../src/serve/app.js';
import { startServices } from '../src/services.js';
import { until, webEvent } from './support/destinations.js';
import { type Receiver, startReceiver } from './support/receiver.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

const TOKEN = 'rt_dashboard_destinations';
const ADMIN = 'at_dashboard_destinations';
const SHOTS = path.resolve(import.meta.dirname, '../test-output/screenshots');

describeWith('chromium', 'the Destinations page in a real browser', (chromiumPath) => {
  let runtime: Runtime;
  let receiver: Receiver;
  let base = '';
  let browser: Browser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    receiver = await startReceiver((_i, req) =>
      req.events.some((e) => e.id === 'bad')
        ? { status: 422, body: '{"error":"unknown sku 42"}' }
        : { status: 200 },
    );
    const dir = tempDir();
    runtime = await createRuntime(
      parseConfig(`store: { path: ${dir}/store.duckdb }
server: { readTokens: [${TOKEN}], adminTokens: [${ADMIN}] }
sources: { web: {} }
destinations:
  crm:
    webhook: { url: "${receiver.url}" }
    batch: { count: 1, wait: 10ms }
`),
      dir,
      pino({ level: 'silent' }),
    );
    await startServices(runtime);
    await runtime.committer.submit([webEvent('1'), webEvent('bad'), webEvent('3')]);
    await until('the deliveries', () => receiver.requests.length === 3);
    const app = await createApp(runtime);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    close = async () => {
      await browser.close();
      await app.close();
      await runtime.close();
      await receiver.close();
    };
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => close?.());

  async function open(token: string) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript((t) => localStorage.setItem('panoramix.readToken', t), token);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${base}/#/destinations`);
    await page.waitForSelector('h1:text("Destinations")', { timeout: 15_000 });
    return { page, errors };
  }

  it('shows state, lag and the refused events with their bodies; an admin pauses, resumes and resends', async () => {
    const { page, errors } = await open(ADMIN);
    await page.waitForSelector('h2:text("Refused by crm")');
    const text = await page.locator('#page').textContent();
    expect(text).toContain('delivering');
    expect(text).toContain('unknown sku 42');
    await page.screenshot({ path: path.join(SHOTS, 'destinations.png'), fullPage: true });
    await page.click('[data-name=crm] button[data-do=pause]');
    await page.waitForSelector('text=paused: paused by hand');
    await page.click('[data-name=crm] button[data-do=resume]');
    await page.waitForSelector('[data-name=crm] button[data-do=pause]');
    receiver.answer(() => ({ status: 200 }));
    await page.click('[data-name=crm] button[data-do=dead]');
    await until('the dead letter sent again', () => receiver.delivered().some((e) => e.id === 'bad'));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offers a read token no actions', async () => {
    const { page, errors } = await open(TOKEN);
    await page.waitForSelector('table');
    expect(await page.locator('button[data-do]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
