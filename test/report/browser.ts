import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_PATH } from '../helpers/requirements.js';

/** Screenshots of the browser tests go here (ignored by git). */
export const TEST_OUTPUT = resolve(import.meta.dirname, '..', '..', 'test-output', 'report');

/** Headless Debian chromium (no sandbox: CI runs as root in a container). */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--headless=new', '--no-sandbox', '--disable-gpu'] });
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}

/** Per figure on the page: its id, the number of drawn data marks, and of point symbols. */
export function figureMarks(page: Page): Promise<Array<{ id: string; marks: number; symbols: number }>> {
  return page.$$eval('figure[data-figure]', (figures) =>
    figures.map((f) => ({
      id: f.getAttribute('data-figure') ?? '',
      // Vega draws every data mark (lines, areas, rects, symbols) as a path inside a g.role-mark;
      // axes and legends use other roles.
      marks: f.querySelectorAll('svg g.role-mark > path').length,
      symbols: f.querySelectorAll('svg g.mark-symbol.role-mark > path').length,
    })),
  );
}

export function screenshotPath(name: string): string {
  return join(TEST_OUTPUT, name);
}
