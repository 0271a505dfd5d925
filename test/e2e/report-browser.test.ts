/**
 * The HTML report in a real browser: Debian's chromium through playwright-core (never a downloaded
 * browser), opening reports made by the built CLI from runs against the mock server. Screenshots go
 * to .tmp/report-screenshots/ (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

// Page globals, for the functions run inside the page by page.evaluate (the test itself has no DOM).
declare const document: any, window: any, innerWidth: number;
declare function getComputedStyle(el: unknown): { backgroundColor: string };

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');
const EVIL = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b> & &amp;';

const prompts = [
  ...Array.from({ length: 40 }, (_, i) => `Question ${i}: what is ${i} squared?`),
  'Find the zebra-unique-42 in this sentence.',
  ...Array.from({ length: 6 }, (_, i) => `always500 prompt ${i}`),
  ...Array.from({ length: 3 }, (_, i) => `bad400 prompt ${i}`),
  ...Array.from({ length: 5 }, (_, i) => `rate429 prompt ${i}`),
  EVIL,
];

let server: MockServer;
let tmp: { dir: string; cleanup: () => void };
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  server = await startMockServer({
    latencyMs: 15,
    fault: ({ prompt, attempt }) =>
      prompt.startsWith('always500') ? '500' : prompt.startsWith('bad400') ? '400' : prompt.startsWith('rate429') && attempt === 1 ? '429' : undefined,
  });
  tmp = tempDir('llm-batch-report-browser-');
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  tmp?.cleanup();
});

async function run(args: string[]): Promise<void> {
  const r = await runCli(['--base-url', server.url, '--retries', '1', '-c', '8', '-q', ...args]);
  expect([0, 1], r.stderr).toContain(r.code);
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
const figure = async (page: Page, name: string) => (await text(page, `[data-figure="${name}"] .value`)).trim();
const visibleRows = (page: Page) => page.locator('table.rows tbody tr:not(.detail)');

describe('report of a mock-server run, in chromium', () => {
  let input: string;
  let out: string;
  let report: string;
  let rows: any[];
  let summary: any;

  beforeAll(async () => {
    input = writePrompts(tmp.dir, 'prompts.txt', prompts);
    out = path.join(tmp.dir, 'out.jsonl');
    report = path.join(tmp.dir, 'run.html');
    const summaryFile = path.join(tmp.dir, 'summary.json');
    await run([input, '-o', out, '--report', report, '--summary-json', summaryFile]);
    rows = parseJsonl(fs.readFileSync(out, 'utf8'));
    summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  });

  it('shows the run figures, the percentiles and the error groups, with no console error and no request', async () => {
    const { page, errors, requests } = await openReport(browser.context, report);
    const ok = rows.filter((r) => r.error === null);
    const failed = rows.length - ok.length;
    expect(failed).toBe(9);
    // Failed rows carry their last attempt's times too, so errors can be drawn over time.
    for (const r of rows) expect(Date.parse(r.finished_at) - Date.parse(r.started_at)).toBeGreaterThanOrEqual(0);
    expect(await figure(page, 'ok')).toBe(String(ok.length));
    expect(await figure(page, 'failed')).toBe(String(failed));
    // What only the run saw: every request and every 429, including those a retry got past.
    expect(summary.rateLimited).toBe(5);
    expect(await figure(page, '429s')).toBe(String(summary.rateLimited));
    expect(await figure(page, 'requests')).toBe(String(summary.requests));
    expect(await figure(page, 'retries')).toBe(String(summary.retries));
    const latencies = ok.map((r) => r.latency_ms as number).sort((a, b) => a - b);
    const p50 = latencies[Math.ceil(0.5 * latencies.length) - 1]!;
    expect(await text(page, '[data-stat="p50"]')).toBe(`p50 ${p50} ms`);
    // Errors grouped by type and message: six 500s, three 400s.
    const groups = await page.locator('table.errors tbody tr').allInnerTexts();
    expect(groups).toHaveLength(2);
    expect(groups[0]).toMatch(/^6\s+http 500/);
    expect(groups[1]).toMatch(/^3\s+http 400/);
    expect(await page.locator('#timeline canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#latency canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'run-light.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('searches, filters, sorts and opens a row; untrusted text stays text', async () => {
    const { page, errors, requests } = await openReport(browser.context, report);
    const total = rows.length;
    await page.fill('input.search', 'ZEBRA-unique');
    await expect.poll(() => text(page, '#rows p.muted')).toMatch(new RegExp(`^1 of ${total} rows match`));
    expect(await visibleRows(page).count()).toBe(1);
    await page.fill('input.search', '');
    await expect.poll(() => visibleRows(page).count()).toBe(50);

    await page.selectOption('select[aria-label="Status"]', 'failed');
    await expect.poll(() => text(page, '#rows p.muted')).toMatch(new RegExp(`^9 of ${total} rows match`));
    expect(await page.locator('table.rows tbody tr.failed').count()).toBe(9);
    await page.selectOption('select[aria-label="Status"]', '');
    await page.selectOption('select[aria-label="Error type"]', 'http');
    await expect.poll(() => visibleRows(page).count()).toBe(9);
    await page.selectOption('select[aria-label="Error type"]', '');

    // An error group's "show rows" filters the table to that group.
    await page.locator('table.errors button.link').nth(1).click();
    await expect.poll(() => visibleRows(page).count()).toBe(3);
    expect(await visibleRows(page).first().innerText()).toMatch(/bad400/);
    await page.locator('.chip button').click();
    await page.selectOption('select[aria-label="Status"]', '');

    // Sort by latency: slowest first.
    await page.locator('th button.sort', { hasText: 'latency' }).click();
    const max = Math.max(...rows.filter((r) => r.latency_ms !== null).map((r) => r.latency_ms));
    expect((await visibleRows(page).first().locator('td').nth(4).innerText()).trim()).toBe(`${max} ms`);
    await page.locator('th button.sort', { hasText: 'line' }).click();

    // The row with HTML and a closing script tag in its prompt and answer: shown as text, never run.
    await page.fill('input.search', '__pwned');
    await expect.poll(() => visibleRows(page).count()).toBe(1);
    await visibleRows(page).first().click();
    const detail = page.locator('tr.detail');
    await expect.poll(() => detail.count()).toBe(1);
    expect(await detail.locator('pre.prompt').textContent()).toBe(EVIL);
    expect(await detail.locator('pre.answer').textContent()).toContain(EVIL);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img, tr.detail b, #rows b').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'run-expanded.png'), fullPage: false });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('reads well in dark mode and in a narrow window', async () => {
    for (const [name, opts] of [
      ['dark', { colorScheme: 'dark' as const }],
      ['narrow', { width: 390, height: 844 }],
    ] as const) {
      const { page, errors, requests } = await openReport(browser.context, report, opts);
      const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      expect(bg).toBe(name === 'dark' ? 'rgb(21, 23, 27)' : 'rgb(255, 255, 255)');
      // Nothing wider than the window but the table's own scroller.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SHOTS, `run-${name}.png`), fullPage: true });
      await page.screenshot({ path: path.join(SHOTS, `run-${name}-top.png`) });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    }
  });

  it('llm-batch report: a CSV output gets the time chart from its timestamp columns; an old JSONL file without them has none', async () => {
    const csvOut = path.join(tmp.dir, 'out.csv');
    await run([input, '-o', csvOut]);
    const r = await runCli(['report', csvOut]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/report of 56 rows written to .*out\.html/);
    const csvPage = await openReport(browser.context, path.join(tmp.dir, 'out.html'));
    expect(await figure(csvPage.page, 'failed')).toBe('9');
    // CSV rows have started_at/finished_at columns: the time chart is drawn from them.
    expect(await csvPage.page.locator('#no-timeline').count()).toBe(0);
    expect(await csvPage.page.locator('#timeline canvas').count()).toBeGreaterThan(0);
    expect(await figure(csvPage.page, 'wall time')).not.toBe('–');
    expect(csvPage.errors).toEqual([]);
    await csvPage.page.close();

    const old = path.join(tmp.dir, 'old.jsonl');
    fs.writeFileSync(old, rows.map(({ started_at: _s, finished_at: _f, ...rest }) => JSON.stringify(rest)).join('\n') + '\n');
    expect((await runCli(['report', old, '-o', path.join(tmp.dir, 'old.html')])).code).toBe(0);
    const oldPage = await openReport(browser.context, path.join(tmp.dir, 'old.html'));
    expect(await oldPage.page.locator('#no-timeline').count()).toBe(1);
    expect(await figure(oldPage.page, 'ok')).toBe('47');
    expect(await figure(oldPage.page, 'wall time')).toBe('–');
    expect(oldPage.errors).toEqual([]);
    expect(oldPage.requests).toEqual([]);
    await oldPage.page.close();
  });

  it('compares models side by side and shows structured output fields as columns', async () => {
    const a = path.join(tmp.dir, 'alpha.jsonl');
    const b = path.join(tmp.dir, 'beta.jsonl');
    await run([input, '-m', 'alpha-model', '-o', a]);
    await run([input, '-m', 'beta-model', '-o', b]);
    // Rows of both models in one file, each answer with a structured output (as a schema run writes).
    const both = [...parseJsonl(fs.readFileSync(a, 'utf8')), ...parseJsonl(fs.readFileSync(b, 'utf8'))].map((row, i) => ({
      ...row,
      ...(row.error === null ? { output: { sentiment: ['positive', 'neutral', 'negative'][i % 3], score: i % 5 } } : {}),
    }));
    const mixed = path.join(tmp.dir, 'models.jsonl');
    fs.writeFileSync(mixed, both.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect((await runCli(['report', mixed])).code).toBe(0);
    const { page, errors, requests } = await openReport(browser.context, path.join(tmp.dir, 'models.html'));
    const groups = await page.locator('.comparison[data-by="model"] table.grid tbody tr th').allInnerTexts();
    expect(groups).toEqual(['alpha-model', 'beta-model', '(failed, no model)']);
    expect(await page.locator('.comparison canvas').count()).toBeGreaterThan(0);
    const headers = await page.locator('table.rows thead th').allInnerTexts();
    expect(headers).toEqual(expect.arrayContaining(['model', 'sentiment', 'score']));
    await page.selectOption('select[aria-label="Model"]', 'beta-model');
    await expect.poll(() => text(page, '#rows p.muted')).toMatch(/^47 of 112 rows match/);
    await page.fill('input.search', 'Question 7:');
    await expect.poll(() => visibleRows(page).count()).toBe(1);
    await visibleRows(page).first().click();
    // The open row shows the same prompt's answer from the other model.
    await expect.poll(() => page.locator('tr.detail .sibling').count()).toBe(1);
    expect(await page.locator('tr.detail .sibling strong').innerText()).toBe('alpha-model');
    expect(await page.locator('#fields').innerText()).toMatch(/sentiment[\s\S]*positive/);
    await page.screenshot({ path: path.join(SHOTS, 'models-light.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
