/**
 * The HTML report on paper (print media, from a dark-mode screen too), with answers cut at the
 * token limit, and of an empty results file: in Debian's chromium through playwright-core.
 * Screenshots go to .tmp/report-screenshots/ (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

// Page globals, for the functions run inside the page by page.evaluate (the test itself has no DOM).
declare const document: any;
declare function getComputedStyle(el: unknown): { color: string; display: string };

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');
const LONG = `A long prompt whose end must reach the paper: ${'word '.repeat(18)}THE-END-OF-THE-PROMPT`;

let server: MockServer;
let tmp: { dir: string; cleanup: () => void };
let browser: { context: BrowserContext; close: () => Promise<void> };
let report: string;
let rows: any[];

beforeAll(async () => {
  server = await startMockServer({
    latencyMs: 5,
    fault: ({ prompt }) => (prompt.startsWith('cut') ? 'length' : prompt.startsWith('fail') ? '500' : undefined),
  });
  tmp = tempDir('llm-batch-report-print-');
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  const prompts = [...Array.from({ length: 8 }, (_, i) => `Question ${i}`), 'cut here', 'cut there', 'fail always', LONG];
  const input = writePrompts(tmp.dir, 'p.txt', prompts);
  const out = path.join(tmp.dir, 'out.jsonl');
  report = path.join(tmp.dir, 'out.html');
  const r = await runCli([input, '--base-url', server.url, '-m', 'm1', '-m', 'm2', '--retries', '0', '-q', '-o', out, '--report', report]);
  expect(r.code, r.stderr).toBe(1);
  rows = parseJsonl(fs.readFileSync(out, 'utf8'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  tmp?.cleanup();
});

const visibleRows = (page: Page) => page.locator('table.rows tbody tr:not(.detail)');
const styleOf = (page: Page, selector: string) =>
  page
    .locator(selector)
    .first()
    .evaluate((el: any) => ({ color: getComputedStyle(el).color, display: getComputedStyle(el).display }));

describe('report: answers cut at the token limit', () => {
  it('counts them among the figures, badges their rows and filters on them', async () => {
    const cut = rows.filter((r) => r.finish_reason === 'length');
    expect(cut).toHaveLength(4);
    const { page, errors } = await openReport(browser.context, report);
    expect((await page.locator('[data-figure="truncated"] .value').innerText()).trim()).toBe('4');
    expect(await page.locator('[data-figure="truncated"] .note').innerText()).toMatch(/cut at the token limit or the model.s context.*counted in ok/);
    await page.selectOption('select[aria-label="Status"]', 'truncated');
    await expect.poll(() => visibleRows(page).count()).toBe(4);
    expect(await page.locator('table.rows tbody tr.truncated .badge').allInnerTexts()).toEqual(Array(4).fill('ok (truncated)'));
    // The error group lists the prompt that failed for both models once.
    expect(await page.locator('table.errors tbody tr td.id').allInnerTexts()).toEqual([String(rows.find((r) => r.error)!.id)]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('report on paper', () => {
  for (const colorScheme of ['dark', 'light'] as const) {
    it(`prints dark text on white from a ${colorScheme} screen, the table wrapped within the paper, no controls`, async () => {
      // A4's printable width at 96 dpi is about 720 px.
      const { page, errors } = await openReport(browser.context, report, { colorScheme, width: 720, height: 1000 });
      await page.emulateMedia({ media: 'print', colorScheme });
      expect((await styleOf(page, 'html')).color).toBe('rgb(0, 0, 0)');
      expect((await styleOf(page, 'h1')).color).toBe('rgb(0, 0, 0)');
      expect((await styleOf(page, '[data-figure="ok"] .value')).color).toBe('rgb(20, 101, 43)');
      expect((await styleOf(page, 'html')).color).not.toBe('rgb(230, 232, 235)');
      for (const control of ['.controls', '.pager', 'table.errors button.link', 'button.expand'])
        expect((await styleOf(page, control)).display, control).toBe('none');
      // The sortable headers' labels as text: Chromium paints no <button> in a <thead> repeated on later pages.
      expect((await styleOf(page, 'table.rows th button.sort')).display).toBe('contents');
      // The whole table within the page's width, the long prompt's end printed, not clipped.
      const table = (await page.locator('table.rows').boundingBox())!;
      expect(table.x + table.width).toBeLessThanOrEqual(720);
      const cell = page.locator('table.rows tbody td.text', { hasText: 'THE-END-OF-THE-PROMPT' }).first();
      const clip = await cell.evaluate((el: any) => ({ box: el.getBoundingClientRect().right, scroll: el.scrollWidth - el.clientWidth }));
      expect(clip.scroll).toBeLessThanOrEqual(0);
      expect(clip.box).toBeLessThanOrEqual(720);
      await page.screenshot({ path: path.join(SHOTS, `print-${colorScheme}.png`), fullPage: true });
      if (colorScheme === 'dark') {
        const pdf = await page.pdf({ format: 'A4' });
        expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
        fs.writeFileSync(path.join(SHOTS, 'print-dark.pdf'), pdf);
      }
      // Back on screen, the controls are there again.
      await page.emulateMedia({ media: 'screen', colorScheme });
      expect((await styleOf(page, '.controls')).display).toBe('flex');
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

describe('report of an empty results file', () => {
  it('says the file holds no rows, not that it is old or its models unpriced', async () => {
    // An empty file no run wrote is refused (exit 5); a run's that answered nothing is reported:
    // a --shard that got none of a one-prompt input's records.
    const input = writePrompts(tmp.dir, 'one.txt', ['the only prompt']);
    const outs = ['1/2', '2/2'].map((shard, i) => ({ shard, out: path.join(tmp.dir, `empty-${i}.jsonl`) }));
    for (const { shard, out } of outs) expect((await runCli([input, '--base-url', server.url, '--shard', shard, '-q', '-o', out])).code).toBe(0);
    const empty = outs.map(({ out }) => out).find((out) => fs.statSync(out).size === 0)!;
    expect(empty).toBeDefined();
    const html = path.join(tmp.dir, 'empty.html');
    const r = await runCli(['report', empty, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    const { page, errors, requests } = await openReport(browser.context, html);
    expect(await page.locator('#empty').innerText()).toMatch(/holds no rows/);
    const text = await page.locator('#app').innerText();
    expect(text).not.toMatch(/older llm-batch|no known price|needs started_at|no timestamps/);
    expect(await page.locator('#no-timeline').innerText()).toMatch(/No rows/);
    expect((await page.locator('[data-figure="est. cost"] .note').innerText()).trim()).toBe('no rows');
    expect((await page.locator('[data-figure="ok"] .note').innerText()).trim()).toBe('no rows');
    await page.screenshot({ path: path.join(SHOTS, 'empty.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
