import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';
import { describeWith } from './support/services.js';

const KEY = 'wk_browser_0123456789';

// A page on one origin sends events to Panoramix on another, the way analytics.js does from a shop's site:
// only what a real browser does with CORS shows whether it works.
describeWith('chromium', 'events sent from a web page in a real browser', (chromiumPath) => {
  let runtime: Runtime;
  let api = '';
  let browser: Browser;
  const pages: http.Server[] = [];
  const origins: string[] = [];

  beforeAll(async () => {
    // Two sites: the first is allowed in server.corsOrigins, the second is not.
    for (let i = 0; i < 2; i++) {
      const site = http.createServer((_req, res) => res.end('<!doctype html><title>shop</title>'));
      await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
      pages.push(site);
      origins.push(`http://127.0.0.1:${(site.address() as AddressInfo).port}`);
    }
    const made = await testApp(
      `server:\n  corsOrigins: [${origins[0]}]\nsources:\n  web: { writeKeys: [${KEY}] }\n`,
    );
    runtime = made.runtime;
    api = await made.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const p of pages) p.close();
    await runtime?.close();
  });

  const sendFrom = async (origin: string) => {
    const page = await browser.newPage();
    await page.goto(origin);
    const result = await page.evaluate(
      async ({ api, key, tag }) => {
        const tryFetch = async (url: string, init: RequestInit) => {
          try {
            const res = await fetch(url, init);
            return `${res.status} ${JSON.stringify(await res.json())}`;
          } catch (err) {
            return `failed: ${(err as Error).message}`;
          }
        };
        return {
          // analytics.js: text/plain (no preflight), the write key in the body.
          segment: await tryFetch(`${api}/v1/t`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain' },
            body: JSON.stringify({ writeKey: key, type: 'track', event: 'Clicked', messageId: `${tag}-1` }),
          }),
          // A page's own fetch with a key header and JSON: the browser asks first (a preflight).
          native: await tryFetch(`${api}/v1/events`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
            body: JSON.stringify({ id: `${tag}-2`, type: 'page_viewed' }),
          }),
        };
      },
      { api, key: KEY, tag: origin === origins[0] ? 'allowed' : 'foreign' },
    );
    await page.close();
    return result;
  };

  it('lets an allowed page send events (analytics.js and fetch) and read the answer', async () => {
    const r = await sendFrom(origins[0]!);
    expect(r.segment).toMatch(/^200 .*"success":true/);
    expect(r.native).toMatch(/^200 .*"accepted":1/);
    const rows = await runtime.store.query("SELECT id FROM events WHERE id LIKE 'allowed-%' ORDER BY id");
    expect(rows.map((row) => row.id)).toEqual(['allowed-1', 'allowed-2']);
  });

  it('keeps another page from sending with a key header, and from reading any answer', async () => {
    const r = await sendFrom(origins[1]!);
    expect(r.segment).toMatch(/^failed/);
    expect(r.native).toMatch(/^failed/);
    // The preflighted request never left the browser; a text/plain one is sent but its answer is hidden.
    const rows = await runtime.store.query("SELECT id FROM events WHERE id LIKE 'foreign-%'");
    expect(rows.map((row) => row.id)).not.toContain('foreign-2');
  });
});
