import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumInstalled } from './chromium-pending.js';

declare const document: { documentElement: { dataset: Record<string, string | undefined> } };

/** Debian's chromium; never a browser a tool downloads (this machine has no internet). */
export const CHROMIUM = process.env['LLM_BATCH_CHROMIUM'] ?? '/usr/bin/chromium';

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Every request the page made other than the file itself. */
  requests: string[];
}

let shared: Promise<Browser> | undefined;

/**
 * One headless chromium for the worker (the end-to-end files share their workers' modules): a launch
 * costs ~2 s of CPU, and CI is CPU-bound. Launched again if it went away (a crashed renderer takes
 * only its page). The worker's end closes its pipe, and chromium exits with it.
 */
async function sharedBrowser(): Promise<Browser> {
  await chromiumInstalled();
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set LLM_BATCH_CHROMIUM)`);
  const browser = await shared;
  if (browser?.isConnected()) return browser;
  shared = chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  shared.catch(() => (shared = undefined));
  return shared;
}

/** A fresh browser context (its own storage, as a new profile has), closed by `close()`. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const context = await (await sharedBrowser()).newContext();
  return { context, close: () => context.close() };
}

/** Opens a report file and waits until it has drawn (the page sets data-ready on <html>). */
export async function openReport(
  context: BrowserContext,
  file: string,
  opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {},
): Promise<OpenedPage & { readyMs: number; loadMs: number }> {
  const page = await context.newPage();
  await page.setViewportSize({ width: opts.width ?? 1280, height: opts.height ?? 900 });
  await page.emulateMedia({ colorScheme: opts.colorScheme ?? 'light' });
  const errors: string[] = [];
  const requests: string[] = [];
  const url = `file://${file}`;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  const t0 = performance.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset['ready'] !== undefined, null, { timeout: 60_000 });
  const loadMs = performance.now() - t0;
  const readyMs = Number(await page.evaluate(() => document.documentElement.dataset['ready']));
  return { page, errors, requests, readyMs, loadMs };
}
