/**
 * The report's figures where a review found them wrong, in chromium from the built CLI: --report
 * with --batch-api (also --no-wait), the run's prices (--price, Batch, a budget stop), a resumed
 * file's time, and the table and header at 1280 and 390 px. Screenshots go to .tmp/report-screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, parseJsonl, runCli, spawnCli, tempDir, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

declare const document: any;

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');

let server: MockServer;
let tmp: { dir: string; cleanup: () => void };
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  server = await startMockServer({ latencyMs: 10, batches: { stepMs: 30 } });
  tmp = tempDir('llm-batch-report-review-');
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  tmp?.cleanup();
});

const figure = async (page: Page, name: string) => (await page.locator(`[data-figure="${name}"] .value`).first().innerText()).trim();
const note = async (page: Page, name: string) => (await page.locator(`[data-figure="${name}"] .note`).first().innerText()).trim();
const dataOf = (page: Page): Promise<any> => page.evaluate(() => JSON.parse(document.getElementById('report-data').textContent));
const prompts = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} question ${i}`);
const costOf = (rows: any[], perToken: number) => rows.reduce((s, r) => s + (r.usage ? (r.usage.prompt_tokens + r.usage.completion_tokens) * perToken : 0), 0);
const usd = (text: string) => Number(text.replace('$', ''));

describe('--report with --batch-api', () => {
  it('writes the report when the batches are collected, with Batch prices and the batches’ time', async () => {
    const input = writePrompts(tmp.dir, 'b.txt', prompts(12, 'batch'));
    const out = path.join(tmp.dir, 'by.jsonl');
    const report = path.join(tmp.dir, 'by.html');
    const r = await runCli([
      input,
      '--base-url',
      server.url,
      '-m',
      'gpt-4o',
      '--batch-api',
      '--poll',
      '0.05',
      '--batch-size',
      '5',
      '-o',
      out,
      '--report',
      report,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/report of 12 rows written to .*by\.html/);
    const rows = parseJsonl<any>(fs.readFileSync(out, 'utf8'));
    const { page, errors, requests } = await openReport(browser.context, report);
    // gpt-4o lists $2.50 in / $10 out per million; the Batch API bills half.
    const half = rows.reduce((s, x) => s + (x.usage.prompt_tokens * 2.5 + x.usage.completion_tokens * 10) / 2e6, 0);
    const d = await dataOf(page);
    expect(d.figures.cost.usd).toBeCloseTo(half, 6);
    expect(await note(page, 'est. cost')).toMatch(/12 Batch API rows at the Batch price/);
    expect(await figure(page, 'Batch API time')).toMatch(/^(under 1 s|[\d.]+ s)$/);
    expect(await note(page, 'Batch API time')).toMatch(/3 batches: first started → last finished/);
    expect(await page.locator('[data-figure="wall time"]').count()).toBe(0);
    expect(await page.locator('#no-timeline').innerText()).toMatch(/Batch API rows carry their batch’s start and end/);
    await page.screenshot({ path: path.join(SHOTS, 'review-batch.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('with --no-wait, writes the rows collected so far and says what is still pending', async () => {
    server.options.batches = { stepMs: 60_000 };
    try {
      const input = writePrompts(tmp.dir, 'nw.txt', prompts(6, 'nowait'));
      const out = path.join(tmp.dir, 'nw.jsonl');
      const report = path.join(tmp.dir, 'nw.html');
      const r = await runCli([
        input,
        '--base-url',
        server.url,
        '-m',
        'gpt-4o',
        '--batch-api',
        '--poll',
        '0.05',
        '--batch-size',
        '3',
        '--no-wait',
        '-o',
        out,
        '--report',
        report,
      ]);
      expect(r.code, r.stderr).toBe(75);
      expect(r.stderr).toMatch(/report of 0 rows written to .*nw\.html \(2 batches are still pending/);
      const { page, errors } = await openReport(browser.context, report);
      expect(await page.locator('#pending').innerText()).toMatch(/2 batches were still pending/);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      server.options.batches = { stepMs: 30 };
    }
  });
  it('after a stop (Ctrl-C while batches wait), writes the report and says the run stopped', async () => {
    server.options.batches = { stepMs: 60_000 };
    try {
      const input = writePrompts(tmp.dir, 'st.txt', prompts(4, 'stopped'));
      const out = path.join(tmp.dir, 'st.jsonl');
      const report = path.join(tmp.dir, 'st.html');
      const before = server.batchState.counts.retrieves;
      const child = spawnCli([input, '--base-url', server.url, '-m', 'gpt-4o', '--batch-api', '--poll', '0.05', '-o', out, '--report', report]);
      const exited = waitForExit(child);
      await until(() => server.batchState.counts.retrieves >= before + 2, 'the batch to be polled');
      child.kill('SIGINT');
      const r = await exited;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/report of 0 rows written to .*st\.html \(1 batch is still pending/);
      const { page } = await openReport(browser.context, report);
      expect(await page.locator('#stopped').innerText()).toMatch(/stopped early \(interrupted\)/);
      expect(await page.locator('#pending').innerText()).toMatch(/1 batch was still pending/);
      await page.close();
    } finally {
      server.options.batches = { stepMs: 30 };
    }
  });
});

describe('--report prices as the run did', () => {
  it('--price: the report’s cost is the run’s, per model too; `report --price` agrees', async () => {
    const input = writePrompts(tmp.dir, 'p.txt', prompts(10, 'priced'));
    const out = path.join(tmp.dir, 'priced.jsonl');
    const report = path.join(tmp.dir, 'priced.html');
    const r = await runCli([input, '--base-url', server.url, '-m', 'gpt-4o', '-m', 'gpt-4o-mini', '--price', '1000/1000', '-q', '-o', out, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseJsonl<any>(fs.readFileSync(out, 'utf8'));
    const want = costOf(rows, 0.001);
    const { page } = await openReport(browser.context, report);
    expect(usd(await figure(page, 'est. cost'))).toBeCloseTo(want, 2);
    expect(await note(page, 'est. cost')).toMatch(/at the prices the run was given/);
    const byModel = await page.locator('.comparison[data-by="model"] table.grid tbody tr td:last-child').allInnerTexts();
    expect(byModel.map(usd).reduce((a, b) => a + b, 0)).toBeCloseTo(want, 2);
    await page.close();
    const again = path.join(tmp.dir, 'priced-again.html');
    expect((await runCli(['report', out, '-o', again, '--price', '1000/1000'])).code).toBe(0);
    const second = await openReport(browser.context, again);
    expect(usd(await figure(second.page, 'est. cost'))).toBeCloseTo(want, 2);
    await second.page.close();
    const bad = await runCli(['report', out, '-o', again, '--price', 'cheap']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--price.*IN\/OUT/);
  });

  it('a budget stop: the banner says what was spent of the cap, the cost card agrees', async () => {
    const input = writePrompts(tmp.dir, 'bud.txt', prompts(200, 'budget'));
    const out = path.join(tmp.dir, 'bud.jsonl');
    const report = path.join(tmp.dir, 'bud.html');
    const summaryFile = path.join(tmp.dir, 'bud.json');
    const r = await runCli([
      input,
      '--base-url',
      server.url,
      '-c',
      '8',
      '--max-tokens',
      '20',
      '--price',
      '1000/1000',
      '--max-cost',
      '0.25',
      '-q',
      '-o',
      out,
      '--report',
      report,
      '--summary-json',
      summaryFile,
    ]);
    expect(r.code, r.stderr).toBe(3);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    const { page } = await openReport(browser.context, report);
    const spent = summary.budget.spentUsd as number;
    expect(spent).toBeGreaterThan(0.1);
    expect(await page.locator('#stopped').innerText()).toMatch(
      new RegExp(`\\(budget: \\$${spent.toFixed(3).replace('.', '\\.')} of the \\$0\\.250 budget spent\\)`),
    );
    expect(usd(await figure(page, 'est. cost'))).toBeCloseTo(costOf(parseJsonl<any>(fs.readFileSync(out, 'utf8')), 0.001), 2);
    await page.screenshot({ path: path.join(SHOTS, 'review-budget.png'), fullPage: true });
    await page.close();
  });
});

describe('a resumed run’s report', () => {
  it('times the whole file as the sum of its runs, not the span with the gap, and says so', async () => {
    server.options.latencyMs = 40;
    try {
      const input = writePrompts(tmp.dir, 'res.txt', prompts(80, 'resume'));
      const out = path.join(tmp.dir, 'res.jsonl');
      const report = path.join(tmp.dir, 'res.html');
      const args = [input, '--base-url', server.url, '-c', '2', '-o', out];
      const child = spawnCli(args);
      await until(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').length > 10, 'ten rows');
      child.kill('SIGINT');
      expect((await waitForExit(child)).code).toBe(130);
      server.options.latencyMs = 5;
      const r = await runCli([...args, '-c', '8', '--resume', '--report', report]);
      expect(r.code, r.stderr).toBe(0);
      const { page } = await openReport(browser.context, report);
      const f = (await dataOf(page)).figures;
      expect(f.rows).toBe(80);
      expect(f.runs).toBe(2);
      expect(f.activeSeconds).toBeLessThan(f.wallSeconds);
      expect(f.rowsPerSecond).toBeCloseTo(80 / f.activeSeconds, 1);
      expect(await note(page, 'wall time')).toMatch(/all 80 rows of the file: the sum of 2 runs’ spans .* this run /);
      expect(await note(page, 'throughput')).toMatch(/whole file/);
      expect(await note(page, 'requests')).toMatch(/sent by this run \(the rows cover the whole file\)/);
      await page.locator('#figures').screenshot({ path: path.join(SHOTS, 'review-resume-figures.png') });
      await page.close();
    } finally {
      server.options.latencyMs = 10;
    }
  });
});

describe('the page at 1280 and 390 px', () => {
  let report: string;
  beforeAll(async () => {
    const rows: any[] = [];
    for (const model of ['gpt-4o-mini', 'gpt-4.1-nano']) {
      const out = path.join(tmp.dir, `${model}.jsonl`);
      const input = writePrompts(tmp.dir, 'wide.txt', prompts(30, 'a rather long prompt that asks for a long structured answer about'));
      expect((await runCli([input, '--base-url', server.url, '-m', model, '-q', '-o', out])).code).toBe(0);
      rows.push(...parseJsonl<any>(fs.readFileSync(out, 'utf8')));
    }
    const withOutput = rows.map((r, i) => ({
      ...r,
      response: JSON.stringify({ sentiment: ['positive', 'negative'][i % 2], score: i % 5, summary: 'x'.repeat(300) }),
      output: { sentiment: ['positive', 'negative'][i % 2], score: i % 5, summary: 'x'.repeat(300) },
    }));
    const file = path.join(tmp.dir, 'wide.jsonl');
    fs.writeFileSync(file, withOutput.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect((await runCli(['report', file])).code).toBe(0);
    report = path.join(tmp.dir, 'wide.html');
  });

  it('puts structured fields before the answer and keeps the table within a 1280 px window', async () => {
    const { page, errors } = await openReport(browser.context, report, { width: 1280 });
    const headers = await page.locator('table.rows thead th').allInnerTexts();
    expect(headers.indexOf('sentiment')).toBeLessThan(headers.indexOf('answer'));
    // Nothing widens the page: not the table, not a long field value in its card.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    const table = await page.locator('table.rows').boundingBox();
    expect(table!.width).toBeLessThanOrEqual(1280);
    const field = await page.locator('table.rows thead th', { hasText: 'sentiment' }).boundingBox();
    expect(field!.x + field!.width).toBeLessThanOrEqual(1280);
    // Model names stay on one line.
    const cell = page.locator('table.rows tbody td.model').first();
    const lineHeight = await cell.evaluate((el: any) => parseFloat(getComputedStyle(el).lineHeight) || 20);
    expect((await cell.boundingBox())!.height).toBeLessThan(lineHeight * 1.8 + 12);
    // The title is the file's name; the subtitle does not repeat it.
    expect(await page.locator('h1').innerText()).toBe('wide.jsonl');
    expect(await page.locator('#subtitle').innerText()).not.toMatch(/wide\.jsonl/);
    await page.screenshot({ path: path.join(SHOTS, 'review-1280.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('at 390 px: model names do not break, the histogram starts near the data', async () => {
    const { page, errors } = await openReport(browser.context, report, { width: 390, height: 844 });
    const lat = (await dataOf(page)).latency;
    expect(lat.binStart).toBeGreaterThan(0);
    const cell = page.locator('.comparison[data-by="model"] tbody th').first();
    expect(await cell.innerText()).toBe('gpt-4.1-nano');
    const box = (await cell.boundingBox())!;
    expect(box.height).toBeLessThan(40);
    await page.screenshot({ path: path.join(SHOTS, 'review-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

declare function getComputedStyle(el: unknown): { lineHeight: string };
