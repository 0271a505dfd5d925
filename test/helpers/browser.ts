import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { removeAtRunEnd } from './run-cli.js';

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

/** A headless chromium with a fresh profile, closed (and its profile removed) by `close()`, or its profile removed at the run's end. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set LLM_BATCH_CHROMIUM)`);
  const userDataDir = removeAtRunEnd(mkdtempSync(join(tmpdir(), 'llm-batch-chromium-')));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
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
