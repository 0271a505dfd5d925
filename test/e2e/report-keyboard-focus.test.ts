/**
 * The rows table keeps the keyboard's place: opening a row or turning a page rebuilds the rows and
 * the pager, which left the focus on <body> (a second Enter on "Next page" did nothing). "show rows"
 * in the errors table moves the focus to the rows it shows, and at a phone's width that button is on
 * screen, not past the errors table's edge. In Debian's chromium (see report-browser.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { ROOT, runCli, tempDir } from '../helpers/run-cli.js';

declare const document: any;

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');

let tmp: { dir: string; cleanup: () => void };
let browser: { context: BrowserContext; close: () => Promise<void> };
let report: string;

beforeAll(async () => {
  tmp = tempDir('llm-batch-report-focus-');
  browser = await launchBrowser();
  // 120 rows: three pages of 50. Every tenth failed, with a long message, under a long id.
  const rows = Array.from({ length: 120 }, (_, i) =>
    JSON.stringify({
      id: `request-${String(i).padStart(6, '0')}`,
      line: i + 1,
      prompt: `p${i}`,
      response: i % 10 === 3 ? null : `a${i}`,
      error: i % 10 === 3 ? { type: 'http', status: 500, message: `the upstream server could not answer this request in time, try again later (${i})` } : null,
      attempts: 1,
      latency_ms: 300,
      model: 'gpt-4o-mini',
      finish_reason: i % 10 === 3 ? null : 'stop',
      usage: { prompt_tokens: 5, completion_tokens: 5 },
    }),
  );
  const results = path.join(tmp.dir, 'k.jsonl');
  fs.writeFileSync(results, `${rows.join('\n')}\n`);
  expect((await runCli(['report', results, '-q'])).code).toBe(0);
  report = path.join(tmp.dir, 'k.html');
});

afterAll(async () => {
  await browser?.close();
  tmp?.cleanup();
});

const focused = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    return `${a.tagName} ${a.getAttribute('aria-label') ?? a.id}`;
  });
const pageLabel = (page: Page) => page.locator('nav.pager .page').textContent();

it('keeps the focus on a row’s button when it opens and closes', async () => {
  const { page, errors } = await openReport(browser.context, report);
  const toggle = page.locator('tr[data-row="0"] button.expand');
  await toggle.focus();
  await page.keyboard.press('Enter');
  expect(await page.locator('tr.detail').count()).toBe(1);
  expect(await focused(page)).toBe('BUTTON Show row 1 in full');
  expect(await toggle.getAttribute('aria-expanded')).toBe('true');
  await page.keyboard.press('Enter');
  expect(await page.locator('tr.detail').count()).toBe(0);
  expect(await focused(page)).toBe('BUTTON Show row 1 in full');
  expect(errors).toEqual([]);
  await page.close();
});

it('keeps the focus in the pager: Enter again turns the next page, and at the last a neighbour takes it', async () => {
  const { page, errors } = await openReport(browser.context, report);
  await page.locator('nav.pager button[aria-label="Next page"]').focus();
  await page.keyboard.press('Enter');
  expect(await pageLabel(page)).toBe('page 2 of 3');
  expect(await focused(page)).toBe('BUTTON Next page');
  await page.keyboard.press('Enter');
  expect(await pageLabel(page)).toBe('page 3 of 3');
  // "Next page" is disabled on the last page: "Previous page" has the focus.
  expect(await focused(page)).toBe('BUTTON Previous page');
  await page.keyboard.press('Enter');
  expect(await pageLabel(page)).toBe('page 2 of 3');
  const size = page.locator('nav.pager select');
  await size.focus();
  await size.selectOption('25');
  expect(await pageLabel(page)).toBe('page 1 of 5');
  expect(await focused(page)).toBe('SELECT Rows per page');
  expect(errors).toEqual([]);
  await page.close();
});

it('at 375 px: "show rows" is on screen, and moves the focus to the rows it shows', async () => {
  const { page, errors } = await openReport(browser.context, report, { width: 375 });
  const area = (await page.locator('#errors .scroll').boundingBox())!;
  const show = page.locator('#errors button.link').first();
  const button = (await show.boundingBox())!;
  expect(button.x + button.width).toBeLessThanOrEqual(area.x + area.width);
  expect(await page.locator('#errors .scroll').evaluate((el: any) => el.scrollWidth <= el.clientWidth)).toBe(true);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.locator('#errors').screenshot({ path: path.join(SHOTS, 'errors-375.png') });
  await show.focus();
  await page.keyboard.press('Enter');
  expect(await page.locator('#rows p.muted').first().textContent()).toMatch(/^12 of 120 rows match/);
  expect(await focused(page)).toBe('H2 rows-h');
  // Clearing the group from the keyboard leaves the focus among the filters, not on <body>.
  await page.locator('button[aria-label="Clear error group filter"]').focus();
  await page.keyboard.press('Enter');
  expect(await page.locator('#rows p.muted').first().textContent()).toMatch(/^12 of 120 rows match/);
  expect(await page.locator('.chip').isHidden()).toBe(true);
  expect(await focused(page)).toBe('SELECT Status');
  expect(errors).toEqual([]);
  await page.close();
});
