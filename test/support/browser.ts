import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { expect } from 'vitest';

/** Where the dashboard tests keep their screenshots (test-output/, not committed). */
export const SHOTS = path.resolve(import.meta.dirname, '../../test-output/screenshots');

/** Debian's Chromium, headless, as the project's browser tests run it (never a downloaded browser). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * Opens a dashboard route signed in with `token` (before the first request, as a returning user is), waits for
 * `waitFor`, and collects the page's console errors. Every request the page makes is checked to carry no token
 * in its URL.
 */
export async function openDashboard(
  browser: Browser,
  base: string,
  route: string,
  waitFor: string,
  options: { viewport?: { width: number; height: number }; token: string },
) {
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  await page.addInitScript((t) => localStorage.setItem('panoramix.readToken', t), options.token);
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('close', () => expect(urls.filter((u) => u.includes('token='))).toEqual([]));
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/#/${route}`);
  await page.waitForSelector(waitFor, { timeout: 15_000 });
  return { page, errors };
}
