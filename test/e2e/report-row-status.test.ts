/**
 * The HTML report's costs read as the terminal summary's, and a row's status keeps every fact
 * (cached and truncated, an error with the partial answer it kept): in Debian's chromium through
 * playwright-core. Screenshots go to .tmp/report-screenshots/ (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import { T0, jsonlOf, resultRow } from '../helpers/report-rows.js';

// Page globals, for the functions run inside the page (the test itself has no DOM).
declare const window: any;
declare const CanvasRenderingContext2D: any;
declare function requestAnimationFrame(callback: () => void): number;

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');

let server: MockServer;
let tmp: { dir: string; cleanup: () => void };
let browser: { context: BrowserContext; close: () => Promise<void> };
let input: string;
let cacheDir: string;

beforeAll(async () => {
  server = await startMockServer({ latencyMs: 5, fault: ({ prompt }) => (prompt.startsWith('cut') ? 'length' : undefined) });
  tmp = tempDir('llm-batch-report-status-');
  cacheDir = path.join(tmp.dir, 'cache');
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  input = writePrompts(tmp.dir, 'p.txt', ['Question one', 'Question two', 'cut this answer short']);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  tmp?.cleanup();
});

const run = (name: string, ...args: string[]) => runOn(input, name, ...args);
const runOn = (input: string, name: string, ...args: string[]) => {
  const out = path.join(tmp.dir, `${name}.jsonl`);
  const report = path.join(tmp.dir, `${name}.html`);
  const summary = path.join(tmp.dir, `${name}.json`);
  return runCli([input, '--base-url', server.url, '--retries', '0', '-o', out, '--report', report, '--summary-json', summary, ...args]).then((r) => ({
    ...r,
    rows: parseJsonl(fs.readFileSync(out, 'utf8')),
    report,
    summary: JSON.parse(fs.readFileSync(summary, 'utf8')),
  }));
};

const cellText = (page: Page, selector: string) => page.locator(selector).innerText();
const badges = (page: Page) => page.locator('table.rows tbody tr:not(.detail) .badge').allInnerTexts();

describe('report: costs as the summary shows them', () => {
  it('a sub-$0.0001 run: the cost card and every model’s cost read as the summary line’s figures', async () => {
    const r = await run('tiny', '-m', 'm1', '-m', 'm2', '--price', '1/1', '--cache-dir', cacheDir);
    expect(r.code, r.stderr).toBe(0);
    const usd = r.summary.estimatedCost.usd as number;
    expect(usd).toBeGreaterThan(0);
    expect(usd).toBeLessThan(0.0001);
    const shown = /est\. (\$0\.0000\d+) at the given prices/.exec(r.stderr)?.[1];
    expect(shown, r.stderr).toBeDefined();
    const { page, errors } = await openReport(browser.context, r.report);
    expect((await cellText(page, '[data-figure="est. cost"] .value')).trim()).toBe(shown);
    expect((await cellText(page, '[data-figure="tokens"] .value')).trim()).toBe(`${r.summary.promptTokens} in`);
    expect((await cellText(page, '[data-figure="tokens"] .note')).trim()).toBe(`${r.summary.completionTokens} out`);
    // Per model: the comparison's cost column, against each model's line of the summary.
    const byModel = await page
      .locator('.comparison[data-by="model"] table.grid tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.lastElementChild!.textContent]));
    expect(byModel.map(([m]) => m)).toEqual(['m1', 'm2']);
    // Both models failed none: a tie marks neither "best".
    expect(await page.locator('.comparison[data-by="model"] td:nth-child(4)').allInnerTexts()).toEqual(['0 (0 %)', '0 (0 %)']);
    expect(await page.locator('.comparison[data-by="model"] td:nth-child(4).best').count()).toBe(0);
    for (const [model, cost] of byModel) {
      expect(cost).toMatch(/^\$0\.0000\d\d$/);
      expect(r.stderr, `${model} ${cost}`).toMatch(new RegExp(`${model}\\b.*est\\. \\${cost}`));
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('report: a cost that answers without usage leave unknown', () => {
  it('some without usage: "≥" and says why; none with usage: unknown, not "no known price"', async () => {
    const some = path.join(tmp.dir, 'some-usage.jsonl');
    fs.writeFileSync(some, jsonlOf([resultRow(0), resultRow(1, { usage: null })]));
    const none = path.join(tmp.dir, 'no-usage.jsonl');
    fs.writeFileSync(none, jsonlOf([resultRow(0, { usage: null }), resultRow(1, { usage: null })]));
    for (const file of [some, none]) expect((await runCli(['report', file, '-q'])).code).toBe(0);
    const cost = async (file: string) => {
      const { page, errors } = await openReport(browser.context, file.replace(/\.jsonl$/, '.html'));
      const shown = [(await cellText(page, '[data-figure="est. cost"] .value')).trim(), await cellText(page, '[data-figure="est. cost"] .note')];
      expect(errors).toEqual([]);
      await page.close();
      return shown;
    };
    const [value, note] = await cost(some);
    expect(value).toMatch(/^≥ \$0\.\d+$/);
    expect(note).toMatch(/1 answer without usage not priced/);
    expect(await cost(none)).toEqual(['–', 'unknown: 2 answers without usage, so not priced']);
  });

  it('an attempt cut off mid-answer and retried: "≥" as the summary has it, from --report and from report --summary-json', async () => {
    const cutInput = writePrompts(tmp.dir, 'cut.txt', ['one [[fault:cut*1]]', 'two', 'three']);
    const out = path.join(tmp.dir, 'cut.jsonl');
    const summary = path.join(tmp.dir, 'cut.json');
    const r = await runCli([
      cutInput,
      '--base-url',
      server.url,
      '--no-cache',
      '-o',
      out,
      '--report',
      path.join(tmp.dir, 'cut.html'),
      '--summary-json',
      summary,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ attemptsCutOff: 1, estimatedCost: { atLeast: true } });
    expect(r.stderr).toMatch(/est\. ≥ \$/);
    const later = path.join(tmp.dir, 'cut-later.html');
    expect((await runCli(['report', out, '--summary-json', summary, '-o', later, '-q'])).code).toBe(0);
    for (const file of [path.join(tmp.dir, 'cut.html'), later]) {
      const { page, errors } = await openReport(browser.context, file);
      expect((await cellText(page, '[data-figure="est. cost"] .value')).trim()).toMatch(/^≥ \$0\.\d+$/);
      expect(await cellText(page, '[data-figure="est. cost"] .note')).toMatch(/1 attempt cut off, billed for what it generated: not priced/);
      expect(await cellText(page, '[data-figure="tokens"] .note')).toMatch(/1 attempt cut off/);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('every attempt cut off, nothing answered: unknown, as the summary says it (it read "≥ $0.00")', async () => {
    const cutInput = writePrompts(tmp.dir, 'all-cut.txt', ['one [[fault:cut*9]]']);
    const html = path.join(tmp.dir, 'all-cut.html');
    const r = await runCli([cutInput, '--base-url', server.url, '--no-cache', '--retries', '0', '-o', path.join(tmp.dir, 'all-cut.jsonl'), '--report', html]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('cost unknown (no usage reported)');
    const { page, errors } = await openReport(browser.context, html);
    expect((await cellText(page, '[data-figure="est. cost"] .value')).trim()).toBe('–');
    expect(await cellText(page, '[data-figure="est. cost"] .note')).toMatch(
      /^unknown: no usage reported · .*1 attempt cut off, billed for what it generated: not priced/,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('report: the wall time of a file whose rows were tried more than once', () => {
  it('says that the span starts at a row’s last attempt, which is all a row keeps', async () => {
    const timed = (i: number, attempts: number) =>
      resultRow(i, { attempts, started_at: new Date(T0 + i * 1000).toISOString(), finished_at: new Date(T0 + i * 1000 + 300).toISOString() });
    const once = path.join(tmp.dir, 'tried-once.jsonl');
    fs.writeFileSync(once, jsonlOf([timed(0, 1), timed(1, 1)]));
    const again = path.join(tmp.dir, 'tried-again.jsonl');
    fs.writeFileSync(again, jsonlOf([timed(0, 2), timed(1, 1)]));
    const notes: string[] = [];
    for (const file of [once, again]) {
      expect((await runCli(['report', file, '-q'])).code).toBe(0);
      const { page, errors } = await openReport(browser.context, file.replace(/\.jsonl$/, '.html'));
      notes.push(await cellText(page, '[data-figure="wall time"] .note'));
      expect(errors).toEqual([]);
      await page.close();
    }
    expect(notes).toEqual([
      'all 2 rows of the file, first request to last answer',
      'all 2 rows of the file, from the first row’s last attempt to the last answer (a row keeps no earlier attempt’s time)',
    ]);
  });
});

describe('report: words and names', () => {
  it('one row is "1 row"; expand buttons name the model and sample; "show rows" buttons name their group', async () => {
    const one = path.join(tmp.dir, 'one-row.jsonl');
    fs.writeFileSync(one, jsonlOf([resultRow(0, { started_at: new Date(T0).toISOString(), finished_at: new Date(T0 + 300).toISOString() })]));
    const matrix = path.join(tmp.dir, 'matrix-rows.jsonl');
    const cell = (model: string, sample: number, error: unknown = null) =>
      resultRow(0, { requested_model: model, model, sample, error, response: error ? null : 'a', ...(error ? { usage: null } : {}) });
    const failed = (status: number) => ({ type: 'http', status, message: `HTTP ${status}: refused` });
    fs.writeFileSync(matrix, jsonlOf([cell('m-a', 0), cell('m-a', 1), cell('m-b', 0, failed(400)), cell('m-b', 1, failed(422))]));
    for (const file of [one, matrix]) expect((await runCli(['report', file, '-q'])).code).toBe(0);

    const single = await openReport(browser.context, one.replace(/\.jsonl$/, '.html'));
    expect(await cellText(single.page, '[data-figure="ok"] .note')).toBe('100 % of 1 row');
    expect(await cellText(single.page, '#rows p.muted')).toMatch(/^1 row · showing 1$/);
    // It said "all 1 rows of the file".
    expect(await cellText(single.page, '[data-figure="wall time"] .note')).toMatch(/^the file's 1 row, first request to last answer$/);
    expect(single.errors).toEqual([]);
    await single.page.close();

    const many = await openReport(browser.context, matrix.replace(/\.jsonl$/, '.html'));
    const expand = await many.page.locator('table.rows button.expand').evaluateAll((buttons: any[]) => buttons.map((b) => b.getAttribute('aria-label')));
    expect(new Set(expand).size).toBe(4);
    expect(expand).toContain('Show row 1 (model m-b, sample 1) in full');
    const show = await many.page.locator('#errors button').evaluateAll((buttons: any[]) => buttons.map((b) => b.getAttribute('aria-label')));
    expect(show).toHaveLength(2);
    expect(new Set(show).size).toBe(2);
    expect(show.join('\n')).toMatch(/^Show the 1 row of http 4(00|22): /m);
    expect(many.errors).toEqual([]);
    await many.page.close();
  });
});

describe('report: a row keeps every fact of its status', () => {
  it('an answer from the cache that was cut at the token limit says both', async () => {
    const first = await run('bought', '--cache-dir', cacheDir);
    expect(first.code, first.stderr).toBe(0);
    const again = await run('again', '--cache-dir', cacheDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.rows.map((row) => [row.cached, row.finish_reason])).toEqual([
      [true, 'stop'],
      [true, 'stop'],
      [true, 'length'],
    ]);
    const { page, errors } = await openReport(browser.context, again.report);
    expect(await badges(page)).toEqual(['ok (cache)', 'ok (cache)', 'ok (cache, truncated)']);
    expect(await page.locator('table.rows tbody tr.truncated.cached').count()).toBe(1);
    // Nothing was sent: no latency, no tokens, no cost, as the summary says; not an old file's or an unpriced model's gaps.
    expect(await page.locator('table.rows tbody tr.cached td:nth-child(5)').allInnerTexts()).toEqual(['–', '–', '–']);
    expect(again.summary).toMatchObject({ fromCache: 3, promptTokens: 0, completionTokens: 0 });
    expect((await cellText(page, '[data-figure="tokens"] .value')).trim()).toBe('0 in');
    expect(await cellText(page, '[data-figure="tokens"] .note')).toMatch(/^0 out · .* in 3 answers from the cache, not sent again$/);
    expect((await cellText(page, '[data-figure="est. cost"] .value')).trim()).toBe('$0.00');
    expect(await cellText(page, '[data-figure="est. cost"] .note')).toMatch(/3 answers from the cache at no cost/);
    expect(await cellText(page, '#subtitle')).not.toMatch(/no timestamps/);
    expect(await cellText(page, '#no-timeline')).toMatch(/from the response cache/);
    expect(await cellText(page, '#latency')).toMatch(/from the response cache/);
    await page.screenshot({ path: path.join(SHOTS, 'status-cached-truncated.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a failed row that kept its partial answer (--fail-truncated) shows the answer as well as the error', async () => {
    const r = await run('failcut', '--no-cache', '--fail-truncated');
    expect(r.code, r.stderr).toBe(1);
    const cut = r.rows.find((row) => row.error)!;
    expect(cut.error.type).toBe('truncated');
    expect(cut.response).toMatch(/\S/);
    const { page, errors } = await openReport(browser.context, r.report);
    expect(await badges(page)).toEqual(['ok', 'ok', 'truncated']);
    await page.locator('table.rows tbody tr.failed').click();
    const detail = page.locator('tr.detail');
    await expect.poll(() => detail.count()).toBe(1);
    expect(await detail.locator('pre.error-text').innerText()).toBe(cut.error.message);
    expect(await detail.locator('pre.answer').innerText()).toBe(cut.response);
    expect(await detail.innerText()).toMatch(/partial answer/i);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a schema answer cut at the token limit: invalid, and why, with the text it kept', async () => {
    const tickets = writePrompts(tmp.dir, 't.txt', ['Ticket: the printer is on fire', 'Ticket: cut [[schema:truncate*9]]']);
    const schema = path.join(ROOT, 'fixtures', 'ticket-schema.json');
    const r = await runOn(tickets, 'schema', '--no-cache', '--json-schema', schema, '--schema-retries', '0');
    expect(r.code, r.stderr).toBe(1);
    const cut = r.rows.find((row) => row.error)!;
    expect([cut.error.type, cut.finish_reason]).toEqual(['invalid_output', 'length']);
    const { page, errors } = await openReport(browser.context, r.report);
    expect(await badges(page)).toEqual(['ok', 'invalid_output (truncated)']);
    expect(await cellText(page, '[data-figure="truncated"] .note')).toMatch(/counted as failed/);
    expect(await cellText(page, '#latency')).toMatch(/· 1 answer$/m);
    await page.locator('table.rows tbody tr.failed').click();
    const detail = page.locator('tr.detail');
    await expect.poll(() => detail.count()).toBe(1);
    expect(await detail.locator('pre.answer').innerText()).toBe(cut.response);
    expect(await detail.innerText()).toMatch(/partial answer \(cut at the token limit\)/i);
    await page.screenshot({ path: path.join(SHOTS, 'status-schema.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
    // On paper (A4's printable width at 96 dpi is about 720 px) the table with six field columns
    // stays within the page: it was 1,022 px wide, the answers printed off the paper's edge.
    const paper = await openReport(browser.context, r.report, { width: 720, height: 1000 });
    await paper.page.emulateMedia({ media: 'print' });
    const table = (await paper.page.locator('table.rows').boundingBox())!;
    expect(table.x + table.width).toBeLessThanOrEqual(720);
    const answerCells = paper.page.locator('table.rows tbody td.text:last-child');
    for (const box of await answerCells.evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().width))) expect(box).toBeGreaterThan(80);
    await paper.page.screenshot({ path: path.join(SHOTS, 'status-schema-print.png'), fullPage: true });
    await paper.page.close();
  });
});

describe('report: chart axes of a run whose answers all took about the same time', () => {
  it('label each latency tick once, in whole ms, and count answers in whole numbers', async () => {
    const quick = writePrompts(tmp.dir, 'q.txt', ['one', 'two', 'three']);
    const r = await runOn(quick, 'quick', '--no-cache');
    expect(r.code, r.stderr).toBe(0);
    // Latencies set, not left to the machine's load: 17 to 22 ms drew ticks every half ms ("18 ms 18 ms 19 ms…").
    const file = path.join(tmp.dir, 'quick-set.jsonl');
    fs.writeFileSync(file, r.rows.map((row, i) => `${JSON.stringify({ ...row, latency_ms: [17, 19, 22][i] })}\n`).join(''));
    const report = path.join(tmp.dir, 'quick-set.html');
    expect((await runCli(['report', file, '-o', report])).code).toBe(0);
    // Every text drawn on a canvas (uPlot draws its tick labels there) and where, from the next redraw on.
    await browser.context.addInitScript(() => {
      const w = window as unknown as { __drawn: string[] | null; __at: Array<[number, string, number]> };
      w.__drawn = null;
      w.__at = [];
      const ids = new WeakMap<object, number>();
      let next = 0;
      const fillText = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (this: { canvas: object }, text: string, x: number, y: number, max?: number) {
        if (w.__drawn) {
          w.__drawn.push(text);
          if (!ids.has(this.canvas)) ids.set(this.canvas, next++);
          w.__at.push([ids.get(this.canvas)!, text, y]);
        }
        return fillText.call(this, text, x, y, max);
      };
    });
    const { page, errors } = await openReport(browser.context, report, { width: 1280 });
    await page.evaluate(() => {
      (window as unknown as { __drawn: string[] }).__drawn = [];
    });
    // A wider window redraws each chart once.
    await page.setViewportSize({ width: 1300, height: 900 });
    await page.waitForFunction(() => (window as unknown as { __drawn: string[] }).__drawn.some((t) => / ms$/.test(t)));
    await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
    const drawn = await page.evaluate(() => (window as unknown as { __drawn: string[] }).__drawn);
    const msTicks = drawn.filter((t) => /^\d+ ms$/.test(t));
    expect(msTicks.length).toBeGreaterThan(2);
    expect(new Set(msTicks).size, msTicks.join(', ')).toBe(msTicks.length);
    const counts = drawn.filter((t) => /^\d+(\.\d+)?$/.test(t));
    expect(counts.length).toBeGreaterThan(0);
    expect(
      counts.filter((t) => t.includes('.')),
      counts.join(', '),
    ).toEqual([]);
    // The p50/p90/p99 labels sit above the plot: the old ones, inside it, covered the tallest bars'
    // tops (two bars of one answer each drawn at different heights).
    const at = await page.evaluate(() => (window as unknown as { __at: Array<[number, string, number]> }).__at);
    const chart = at.find(([, t]) => t.startsWith('p50 '))![0];
    const top = Math.min(...at.filter(([c, t]) => c === chart && /^\d+$/.test(t)).map(([, , y]) => y));
    const marks = at.filter(([c, t]) => c === chart && /^p(50|90|99) /.test(t));
    expect(marks).toHaveLength(3);
    for (const [, t, y] of marks) expect(y, t).toBeLessThan(top - 4);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('report: error groups', () => {
  it('"show rows" lists its own status only (a 422 beside a 400 in the same words); groups past the 200 listed are said', async () => {
    // The 422 first: of the groups of one row, the one listed first. 203 requests that quote their body: 203 groups more.
    const prompts = ['[[fault:422]] unprocessable', '[[fault:400]] bad one', '[[fault:400]] bad two'];
    const letters = (i: number) => Array.from(i.toString(26), (d) => String.fromCharCode(97 + Number.parseInt(d, 26))).join('');
    for (let i = 0; i < 203; i++) prompts.push(`[[fault:quoting400]] words ${letters(i + 26)}`);
    const r = await runOn(writePrompts(tmp.dir, 'groups.txt', prompts), 'groups', '--no-cache', '--no-stream', '-c', '32');
    expect(r.code, r.stderr).toBe(1);
    const { page, errors } = await openReport(browser.context, r.report);
    const groups = page.locator('table.errors tbody tr');
    expect(await groups.count()).toBe(200);
    expect(await groups.nth(0).innerText()).toMatch(/^2\s+http 400\s+HTTP 400: Invalid request/);
    expect(await groups.nth(1).innerText()).toMatch(/^1\s+http 422\s+HTTP 422: Invalid request/);
    // 205 groups of 206 rows: the 200 listed hold 201, the 6 not listed 5.
    expect(await cellText(page, '#errors')).toMatch(/… and 5 more groups of 5 failed rows, not listed/);
    await groups.nth(1).locator('button.link').click();
    await expect.poll(() => page.locator('table.rows tbody tr:not(.detail)').count()).toBe(1);
    expect(await page.locator('table.rows tbody tr:not(.detail)').first().innerText()).toMatch(/unprocessable/);
    expect(await cellText(page, '.chip')).toMatch(/^http 422: HTTP #: Invalid request/);
    await page.screenshot({ path: path.join(SHOTS, 'error-groups.png'), fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  });
});
