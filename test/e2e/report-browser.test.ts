/**
 * The HTML report in a real browser: Debian's chromium through playwright-core (never a downloaded
 * browser), opening reports made by the built CLI from runs against the mock server. Screenshots go
 * to .tmp/report-screenshots/ (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { fmt } from '../../src/report-page/format.js';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, parseJsonl, runCli, spawnCli, tempDir, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { textSoFar, until } from '../helpers/until.js';

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

/**
 * `llm-batch report` of a file of answered gpt-4o-mini rows, each asked at `startedMs` and answered
 * `latencyMs` later, opened in the browser.
 */
async function reportOfAnswers(name: string, answers: ReadonlyArray<{ startedMs: number; latencyMs: number }>) {
  const lines = answers.map(({ startedMs, latencyMs }, i) =>
    JSON.stringify({
      id: `${name}${i}`,
      line: i + 1,
      prompt: `p${i}`,
      response: `a${i}`,
      error: null,
      attempts: 1,
      latency_ms: latencyMs,
      started_at: new Date(startedMs).toISOString(),
      finished_at: new Date(startedMs + latencyMs).toISOString(),
      model: 'gpt-4o-mini',
      finish_reason: 'stop',
      usage: { prompt_tokens: 10, completion_tokens: 20 },
    }),
  );
  const file = path.join(tmp.dir, `${name}.jsonl`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  expect((await runInWorker(['report', file, '-q'])).code).toBe(0);
  return openReport(browser.context, path.join(tmp.dir, `${name}.html`));
}

/**
 * A chart's plot area, column by column (device pixels, left to right): how many of its pixels are
 * blue (the first series' bars) and how many coloured at all (the grid and axes are grey).
 */
function plotColumns(page: Page, box: string): Promise<{ blue: number[]; coloured: number[]; dpr: number }> {
  return page.evaluate((selector: string) => {
    const canvas = document.querySelector(`${selector} canvas`);
    const plot = document.querySelector(`${selector} .u-over`).getBoundingClientRect();
    const at = canvas.getBoundingClientRect();
    const dpr = canvas.width / at.width;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const left = Math.round((plot.left - at.left) * dpr);
    const right = Math.round((plot.right - at.left) * dpr);
    const top = Math.round((plot.top - at.top) * dpr);
    const bottom = Math.round((plot.bottom - at.top) * dpr);
    const blue: number[] = [];
    const coloured: number[] = [];
    for (let x = left; x < right; x++) {
      let b = 0;
      let c = 0;
      for (let y = top; y < bottom; y++) {
        const p = (y * canvas.width + x) * 4;
        const [r, g, bl] = [pixels[p], pixels[p + 1], pixels[p + 2]];
        if (bl - r > 40) b++;
        if (Math.max(r, g, bl) - Math.min(r, g, bl) > 60) c++;
      }
      blue.push(b);
      coloured.push(c);
    }
    return { blue, coloured, dpr };
  }, box);
}
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
    expect(await text(page, '[data-stat="p50"]')).toBe(`p50 ${fmt.ms(p50)}`);
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
    expect((await visibleRows(page).first().locator('td').nth(4).innerText()).trim()).toBe(fmt.ms(max));
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
    const r = await runInWorker(['report', csvOut]);
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
    expect((await runInWorker(['report', old, '-o', path.join(tmp.dir, 'old.html')])).code).toBe(0);
    const oldPage = await openReport(browser.context, path.join(tmp.dir, 'old.html'));
    expect(await oldPage.page.locator('#no-timeline').count()).toBe(1);
    expect(await figure(oldPage.page, 'ok')).toBe('47');
    expect(await figure(oldPage.page, 'wall time')).toBe('–');
    expect(oldPage.errors).toEqual([]);
    expect(oldPage.requests).toEqual([]);
    await oldPage.page.close();
  });

  it('draws the latency histogram on a count axis from 0: a bin of 20 answers beside one of 21 is as tall, not empty', async () => {
    // Twenty latencies 5 ms apart, one per bin, 20 or 21 answers each: no bin is empty, and an axis that
    // hugged the data ran from 20 to 21 and drew the bins of 20 empty.
    const counts = Array.from({ length: 20 }, (_, k) => (k % 3 === 0 ? 21 : 20));
    const t0 = Date.parse('2026-11-30T10:00:00Z');
    let n = 0;
    const answers = counts.flatMap((c, k) => Array.from({ length: c }, () => ({ startedMs: t0 + n++ * 50, latencyMs: 100 + 5 * k })));
    const { page, errors } = await reportOfAnswers('even', answers);
    const lat = await page.evaluate(() => JSON.parse(document.getElementById('report-data').textContent).latency);
    // Each bin's bar height in pixels: the blue pixels in the column at the bin's middle, inside the plot.
    const plot = await plotColumns(page, '#latency');
    const bins = lat.counts.length;
    const heights = Array.from({ length: bins }, (_, i) => plot.blue[Math.round(((i + 0.5) * plot.blue.length) / bins)]! / plot.dpr);
    const top = Math.max(...lat.counts);
    const tallest = Math.max(...heights);
    expect(tallest).toBeGreaterThan(50);
    for (const [i, count] of (lat.counts as number[]).entries()) {
      if (count === 0) expect(heights[i], `bin ${i}`).toBeLessThanOrEqual(1);
      else expect(heights[i]! / tallest, `bin ${i}: ${count} answers`).toBeCloseTo(count / top, 1);
    }
    expect(lat.counts.filter((c: number) => c === 20).length).toBeGreaterThan(5);
    await page.locator('#latency').screenshot({ path: path.join(SHOTS, 'latency-from-zero.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws a run shorter than one time bucket: its counts as points, on an axis around the run, not years wide', async () => {
    const t0 = Date.parse('2026-11-30T10:00:00.010Z');
    const { page, errors } = await reportOfAnswers(
      'short',
      [0, 1].map((i) => ({ startedMs: t0 + i, latencyMs: 12 })),
    );
    expect(await page.evaluate(() => JSON.parse(document.getElementById('report-data').textContent).timeline.sent)).toEqual([2]);
    // Coloured pixels inside the plot (the grid and axes are grey): the series drawn (none before), in
    // the middle of an axis around the run (at its left edge on one 2.7 years wide).
    const { coloured: columns } = await plotColumns(page, '#timeline');
    const n = columns.reduce((a, b) => a + b, 0);
    const coloured = { n, meanX: columns.reduce((sum, c, x) => sum + c * x, 0) / n / columns.length };
    expect(coloured.n).toBeGreaterThan(20);
    expect(coloured.meanX).toBeGreaterThan(0.4);
    expect(coloured.meanX).toBeLessThan(0.6);
    await page.locator('#timeline').screenshot({ path: path.join(SHOTS, 'timeline-one-bucket.png') });
    expect(errors).toEqual([]);
    await page.close();
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

/**
 * Where an acceptance review found the report wrong: --report with --batch-api (also --no-wait and a
 * stop), the run's prices (--price, Batch, a budget stop), a resumed file's time, and the table and
 * header at 1280 and 390 px.
 */
describe('report review fixes, in chromium', () => {
  let bserver: MockServer;
  let btmp: { dir: string; cleanup: () => void };

  beforeAll(async () => {
    bserver = await startMockServer({ latencyMs: 10, batches: { stepMs: 30 } });
    btmp = tempDir('llm-batch-report-review-');
  });

  afterAll(async () => {
    await bserver?.close();
    btmp?.cleanup();
  });

  const note = async (page: Page, name: string) => (await page.locator(`[data-figure="${name}"] .note`).first().innerText()).trim();
  const dataOf = (page: Page): Promise<any> => page.evaluate(() => JSON.parse(document.getElementById('report-data').textContent));
  const bprompts = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} question ${i}`);
  const costOf = (rows: any[], perToken: number) =>
    rows.reduce((s, r) => s + (r.usage ? (r.usage.prompt_tokens + r.usage.completion_tokens) * perToken : 0), 0);
  const usd = (text: string) => Number(text.replace('$', ''));

  describe('--report with --batch-api', () => {
    it('writes the report when the batches are collected, with Batch prices and the batches’ time', async () => {
      const input = writePrompts(btmp.dir, 'b.txt', bprompts(12, 'batch'));
      const out = path.join(btmp.dir, 'by.jsonl');
      const report = path.join(btmp.dir, 'by.html');
      const r = await runCli([
        input,
        '--base-url',
        bserver.url,
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
      bserver.options.batches = { stepMs: 60_000 };
      try {
        const input = writePrompts(btmp.dir, 'nw.txt', bprompts(6, 'nowait'));
        const out = path.join(btmp.dir, 'nw.jsonl');
        const report = path.join(btmp.dir, 'nw.html');
        const r = await runCli([
          input,
          '--base-url',
          bserver.url,
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
        bserver.options.batches = { stepMs: 30 };
      }
    });
    it('after a stop (Ctrl-C while batches wait), writes the report and says the run stopped', async () => {
      bserver.options.batches = { stepMs: 60_000 };
      try {
        const input = writePrompts(btmp.dir, 'st.txt', bprompts(4, 'stopped'));
        const out = path.join(btmp.dir, 'st.jsonl');
        const report = path.join(btmp.dir, 'st.html');
        const before = bserver.batchState.counts.retrieves;
        const child = spawnCli([input, '--base-url', bserver.url, '-m', 'gpt-4o', '--batch-api', '--poll', '0.05', '-o', out, '--report', report]);
        const exited = waitForExit(child);
        await until(() => bserver.batchState.counts.retrieves >= before + 2, 'the batch to be polled');
        child.kill('SIGINT');
        const r = await exited;
        expect(r.code, r.stderr).toBe(130);
        expect(r.stderr).toMatch(/report of 0 rows written to .*st\.html \(1 batch is still pending/);
        const { page } = await openReport(browser.context, report);
        expect(await page.locator('#stopped').innerText()).toMatch(/stopped early \(interrupted\)/);
        expect(await page.locator('#pending').innerText()).toMatch(/1 batch was still pending/);
        await page.close();
      } finally {
        bserver.options.batches = { stepMs: 30 };
      }
    });
  });

  describe('--report prices as the run did', () => {
    it('--price: the report’s cost is the run’s, per model too; `report --price` agrees', async () => {
      const input = writePrompts(btmp.dir, 'p.txt', bprompts(10, 'priced'));
      const out = path.join(btmp.dir, 'priced.jsonl');
      const report = path.join(btmp.dir, 'priced.html');
      const r = await runCli([
        input,
        '--base-url',
        bserver.url,
        '-m',
        'gpt-4o',
        '-m',
        'gpt-4o-mini',
        '--price',
        '1000/1000',
        '-q',
        '-o',
        out,
        '--report',
        report,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const rows = parseJsonl<any>(fs.readFileSync(out, 'utf8'));
      const want = costOf(rows, 0.001);
      const { page } = await openReport(browser.context, report);
      expect(usd(await figure(page, 'est. cost'))).toBeCloseTo(want, 2);
      expect(await note(page, 'est. cost')).toMatch(/at the prices the run was given/);
      const byModel = await page.locator('.comparison[data-by="model"] table.grid tbody tr td:last-child').allInnerTexts();
      expect(byModel.map(usd).reduce((a, b) => a + b, 0)).toBeCloseTo(want, 2);
      await page.close();
      const again = path.join(btmp.dir, 'priced-again.html');
      expect((await runInWorker(['report', out, '-o', again, '--price', '1000/1000'])).code).toBe(0);
      const second = await openReport(browser.context, again);
      expect(usd(await figure(second.page, 'est. cost'))).toBeCloseTo(want, 2);
      await second.page.close();
      const bad = await runInWorker(['report', out, '-o', again, '--price', 'cheap']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--price.*IN\/OUT/);
    });

    it('a budget stop: the banner says what was spent of the cap, the cost card agrees', async () => {
      const input = writePrompts(btmp.dir, 'bud.txt', bprompts(200, 'budget'));
      const out = path.join(btmp.dir, 'bud.jsonl');
      const report = path.join(btmp.dir, 'bud.html');
      const summaryFile = path.join(btmp.dir, 'bud.json');
      const r = await runCli([
        input,
        '--base-url',
        bserver.url,
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
        // As the terminal's "budget reached: $0.2480 of $0.2500" reads (usd() of ui/number-format).
        new RegExp(`\\(budget: \\$${spent.toFixed(4).replace('.', '\\.')} of the \\$0\\.2500 budget spent\\)`),
      );
      expect(usd(await figure(page, 'est. cost'))).toBeCloseTo(costOf(parseJsonl<any>(fs.readFileSync(out, 'utf8')), 0.001), 2);
      await page.screenshot({ path: path.join(SHOTS, 'review-budget.png'), fullPage: true });
      await page.close();
    });
  });

  describe('review 2 of session 9', () => {
    it('a CSV from before the cached_tokens column: the cost card says its cached input could not be priced', async () => {
      const old = path.join(btmp.dir, 'old.csv');
      const header =
        'id,line,prompt,response,error_type,error_message,error_status,error_code,attempts,latency_ms,model,finish_reason,prompt_tokens,completion_tokens,started_at,finished_at,requested_model,sample,cached,batch_id';
      const row = (id: string) => `${id},${id},q,a,,,,,1,5,gpt-4o-mini,stop,1000,10,,,,,,`;
      fs.writeFileSync(old, `${header}\n${row('1')}\n${row('2')}\n`);
      const html = path.join(btmp.dir, 'old.html');
      const r = await runInWorker(['report', old, '-o', html, '--price', '1000/1000/100']);
      expect(r.code, r.stderr).toBe(0);
      const { page, errors } = await openReport(browser.context, html);
      expect(await figure(page, 'est. cost')).toBe('$2.02');
      expect(await note(page, 'est. cost')).toMatch(
        /input of 2 rows at the full price: the file has no cached_tokens column .* cached input could not be priced/,
      );
      expect(errors).toEqual([]);
      await page.close();
    });

    it('a JSONL whose schema has fields named id and output_id: their columns are named as the CSV names them', async () => {
      const schema = path.join(btmp.dir, 'odd.json');
      fs.writeFileSync(
        schema,
        JSON.stringify({
          type: 'object',
          properties: { id: { type: 'integer' }, output_id: { type: 'string' } },
          required: ['id', 'output_id'],
          additionalProperties: false,
        }),
      );
      const input = writePrompts(btmp.dir, 'odd.txt', bprompts(3, 'odd'));
      const jsonl = path.join(btmp.dir, 'odd.jsonl');
      const csv = path.join(btmp.dir, 'odd.csv');
      for (const out of [jsonl, csv]) {
        const r = await runCli([input, '--base-url', bserver.url, '--json-schema', schema, '-q', '-o', out]);
        expect(r.code, r.stderr).toBe(0);
      }
      const csvFields = fs.readFileSync(csv, 'utf8').split('\n')[0]!.split(',').slice(1, 3);
      expect(csvFields).toEqual(['output_output_id', 'output_id']);
      expect((await runInWorker(['report', jsonl])).code).toBe(0);
      const { page, errors } = await openReport(browser.context, path.join(btmp.dir, 'odd.html'));
      const headers = (await page.locator('table.rows thead th').allInnerTexts()).map((h) => h.trim());
      expect(headers.filter((h) => h === 'id')).toHaveLength(1);
      expect(headers).toEqual(expect.arrayContaining(csvFields));
      // The row's own id and the answer's id field are different cells.
      const rows = parseJsonl<any>(fs.readFileSync(jsonl, 'utf8'));
      await page.fill('input.search', rows[0].prompt);
      await expect.poll(() => visibleRows(page).count()).toBe(1);
      const at = headers.indexOf('output_output_id');
      expect((await visibleRows(page).first().locator('td').nth(at).innerText()).trim()).toBe(String(rows[0].output.id));
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('a resumed run’s report', () => {
    it('times the whole file as the sum of its runs, not the span with the gap, and says so', async () => {
      bserver.options.latencyMs = 40;
      try {
        const input = writePrompts(btmp.dir, 'res.txt', bprompts(80, 'resume'));
        const out = path.join(btmp.dir, 'res.jsonl');
        const report = path.join(btmp.dir, 'res.html');
        const args = [input, '--base-url', bserver.url, '-c', '2', '-o', out];
        const child = spawnCli(args);
        await until(() => textSoFar(out).split('\n').length > 10, 'ten rows');
        child.kill('SIGINT');
        expect((await waitForExit(child)).code).toBe(130);
        bserver.options.latencyMs = 5;
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
        bserver.options.latencyMs = 10;
      }
    });
  });

  describe('the page at 1280 and 390 px', () => {
    let report: string;
    beforeAll(async () => {
      const rows: any[] = [];
      for (const model of ['gpt-4o-mini', 'gpt-4.1-nano']) {
        const out = path.join(btmp.dir, `${model}.jsonl`);
        const input = writePrompts(btmp.dir, 'wide.txt', bprompts(30, 'a rather long prompt that asks for a long structured answer about'));
        expect((await runCli([input, '--base-url', bserver.url, '-m', model, '-q', '-o', out])).code).toBe(0);
        rows.push(...parseJsonl<any>(fs.readFileSync(out, 'utf8')));
      }
      const withOutput = rows.map((r, i) => ({
        ...r,
        // Latencies of their own: the runs' real ones spread from ~10 ms to whatever a loaded machine
        // adds, which can put the histogram's first bin at 0 (the 390 px test checks it starts near the data).
        latency_ms: 800 + ((i * 37) % 400),
        response: JSON.stringify({ sentiment: ['positive', 'negative'][i % 2], score: i % 5, summary: 'x'.repeat(300) }),
        output: { sentiment: ['positive', 'negative'][i % 2], score: i % 5, summary: 'x'.repeat(300) },
      }));
      const file = path.join(btmp.dir, 'wide.jsonl');
      fs.writeFileSync(file, withOutput.map((r) => JSON.stringify(r)).join('\n') + '\n');
      expect((await runInWorker(['report', file])).code).toBe(0);
      report = path.join(btmp.dir, 'wide.html');
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
      const lineHeight = await cell.evaluate((el: any) => parseFloat((getComputedStyle(el) as any).lineHeight) || 20);
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
});
