/**
 * The 100,000-row report: its size against the JSONL's, and how long chromium takes to open it and
 * answer a search (recorded, not asserted: timings belong to benchmarks). The rows come from a real
 * mock-server run of 2,000 prompts, repeated 50 times with fresh ids and shifted times. A scale test
 * (`npm run test:scale`, run by `npm run bench`): ~20 s of a CPU-bound CI's time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

declare const document: any;

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');
let server: MockServer;
let tmp: { dir: string; cleanup: () => void };

beforeAll(async () => {
  server = await startMockServer({
    reply: (p) => `Answer to "${p}": ${'a fairly long explanation, as models write them. '.repeat(6)}`,
    fault: ({ prompt }) => (prompt.endsWith('7?') ? '500' : undefined),
  });
  tmp = tempDir('llm-batch-report-scale-');
  fs.mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await server?.close();
  tmp?.cleanup();
});

it('a 100,000-row output: report within 1.5x the JSONL, opens and searches in chromium (time recorded)', async () => {
  const prompts = Array.from({ length: 2000 }, (_, i) => `Summarise item ${i} of the catalogue in two sentences: what is it, who is it for? Case ${i % 10}?`);
  const input = writePrompts(tmp.dir, 'p.txt', prompts);
  const small = path.join(tmp.dir, 'small.jsonl');
  const r = await runCli([input, '--base-url', server.url, '-c', '64', '--retries', '0', '-q', '-o', small], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(1);
  const rows = parseJsonl(fs.readFileSync(small, 'utf8'));
  const span =
    Math.max(...rows.map((x) => Date.parse(x.finished_at ?? x.started_at ?? 0))) - Math.min(...rows.map((x) => Date.parse(x.started_at ?? Infinity)));
  const big = path.join(tmp.dir, 'big.jsonl');
  const out = fs.openSync(big, 'w');
  for (let k = 0; k < 50; k++) {
    const shift = k * (span + 50);
    const lines = rows.map((x) =>
      JSON.stringify({
        ...x,
        id: `${x.id}-${k}`,
        line: x.line + k * rows.length,
        started_at: x.started_at && new Date(Date.parse(x.started_at) + shift).toISOString(),
        finished_at: x.finished_at && new Date(Date.parse(x.finished_at) + shift).toISOString(),
      }),
    );
    fs.writeSync(out, lines.join('\n') + '\n');
  }
  fs.closeSync(out);
  const report = path.join(tmp.dir, 'big.html');
  const t0 = performance.now();
  const made = await runCli(['report', big, '-o', report], { timeoutMs: 120_000 });
  const buildMs = performance.now() - t0;
  expect(made.code, made.stderr).toBe(0);
  const ratio = fs.statSync(report).size / fs.statSync(big).size;
  expect(ratio).toBeLessThanOrEqual(1.5);

  const browser = await launchBrowser();
  try {
    const { page, errors, requests, loadMs, readyMs } = await openReport(browser.context, report);
    expect(await page.locator('[data-figure="ok"] .value').innerText()).toBe('90,000');
    expect(await page.locator('#rows p.muted').innerText()).toMatch(/^100,000 rows · showing 1–50/);
    const s0 = performance.now();
    await page.fill('input.search', 'item 1999 of');
    await page.waitForFunction(() => /^50 of 100,000 rows match/.test(document.querySelector('#rows p.muted')?.textContent ?? ''));
    const searchMs = performance.now() - s0;
    await page.screenshot({ path: path.join(SHOTS, 'big-100k.png') });
    const line = `${new Date().toISOString()} 100k rows: JSONL ${(fs.statSync(big).size / 1e6).toFixed(1)} MB, report ${(fs.statSync(report).size / 1e6).toFixed(1)} MB (${ratio.toFixed(2)}x); report built in ${Math.round(buildMs)} ms; chromium: opened and drawn in ${Math.round(loadMs)} ms (page's own start-up ${readyMs} ms), first search ${Math.round(searchMs)} ms (incl. 120 ms debounce)\n`;
    fs.appendFileSync(path.join(SHOTS, 'timing.txt'), line);
    console.log(line.trim());
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  } finally {
    await browser.close();
  }
});
