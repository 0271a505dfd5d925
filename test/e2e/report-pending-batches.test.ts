/**
 * `llm-batch report OUT` on the output of a `--batch-api --no-wait` run: the page says which batches
 * were still on the server (from OUT.batch.json as it is now), with or without the run's
 * --summary-json, as a live run's `--report` does. In Debian's chromium (see report-browser.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { ROOT, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');

// Batches that take a minute: a --no-wait run leaves them all pending.
const ctx = useServer('llm-batch-report-pending-', { latencyMs: 5, batches: { stepMs: 60_000 } });
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Arguments of a --batch-api run of INPUT into OUT, in batches of 3. */
const batchRun = (input: string, out: string, ...more: string[]) => [
  input,
  '--base-url',
  ctx.server.url,
  '-m',
  'gpt-4o',
  '--batch-api',
  '--batch-size',
  '3',
  '-o',
  out,
  '-q',
  ...more,
];

describe('report of a --batch-api run with batches still pending', () => {
  it('says so on the page without --summary-json, and counts what the manifest lists now', async () => {
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 6 }, (_, i) => `pending question ${i}`),
    );
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 'summary.json');
    const submitted = await runCli(batchRun(input, out, '--no-wait', '--summary-json', summary));
    expect(submitted.code, submitted.stderr).toBe(75);

    const page = path.join(ctx.dir, 'out.html');
    const r = await runInWorker(['report', out, '-o', page]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/lists 2 batches \(6 requests\) not collected yet/);
    expect(reportDataOf(page)).toMatchObject({ run: null, pendingBatches: 2 });
    const opened = await openReport(browser.context, page);
    expect(await opened.page.locator('#pending').textContent()).toMatch(
      /^2 batches were still pending on the server .* Run the run's command again with --resume/,
    );
    await opened.page.screenshot({ path: path.join(SHOTS, 'pending-batches-report-command.png') });
    expect(opened.errors).toEqual([]);
    await opened.page.close();

    // With the run's summary too: its figures beside the rows, the same count.
    const withSummary = await runInWorker(['report', out, '-o', page, '--summary-json', summary, '-q']);
    expect(withSummary.code, withSummary.stderr).toBe(0);
    expect(reportDataOf(page)).toMatchObject({ run: { pendingBatches: 2 }, pendingBatches: 2 });

    // Collected since: the summary's count is the run's then, the manifest says none is pending now.
    ctx.server.options.batches = { stepMs: 30 };
    try {
      const collected = await runCli(batchRun(input, out, '--poll', '0.05', '--resume'));
      expect(collected.code, collected.stderr).toBe(0);
    } finally {
      ctx.server.options.batches = { stepMs: 60_000 };
    }
    const after = await runInWorker(['report', out, '-o', page, '--summary-json', summary]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/not collected/);
    expect(reportDataOf(page)).toMatchObject({ run: { pendingBatches: 2 }, pendingBatches: 0, figures: { ok: 6 } });
  });

  it('an output whose batches were all collected gets no such line', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    try {
      const input = writePrompts(ctx.dir, 'done.txt', ['done question 0', 'done question 1']);
      const out = path.join(ctx.dir, 'done.jsonl');
      const run = await runCli(batchRun(input, out, '--poll', '0.05'));
      expect(run.code, run.stderr).toBe(0);
      const page = path.join(ctx.dir, 'done.html');
      const r = await runCli(['report', out, '-o', page]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/not collected/);
      expect(reportDataOf(page)).toMatchObject({ pendingBatches: 0 });
      const opened = await openReport(browser.context, page);
      expect(await opened.page.locator('#pending').count()).toBe(0);
      await opened.page.close();
    } finally {
      ctx.server.options.batches = { stepMs: 60_000 };
    }
  });
});
