/**
 * Sorting the rows by latency puts the answers from the cache last either way: their latency shows
 * as "–" (nothing was sent), and their recorded 0 ms sorted them first when ascending. In Debian's
 * chromium (see report-browser.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { jsonlOf, resultRow } from '../helpers/report-rows.js';

it('sorts cached rows ("–") after the answered ones, ascending and descending', async () => {
  const { dir, cleanup } = tempDir('llm-batch-report-sort-');
  const browser = await launchBrowser();
  try {
    const latencies = [300, 0, 100, 0, 200];
    const rows = latencies.map((ms, i) => resultRow(i, { latency_ms: ms, ...(ms === 0 ? { cached: true } : {}) }));
    const results = path.join(dir, 's.jsonl');
    fs.writeFileSync(results, jsonlOf(rows));
    expect((await runCli(['report', results, '-q'])).code).toBe(0);
    const { page, errors } = await openReport(browser.context, path.join(dir, 's.html'));
    const lines = () => page.locator('table.rows tbody tr:not(.detail) td:nth-child(2)').allTextContents();
    const sortByLatency = page.locator('th button.sort', { hasText: 'latency' });
    await sortByLatency.click();
    expect(await page.locator('th:has(button.sort:text("latency"))').getAttribute('aria-sort')).toBe('descending');
    expect(await lines()).toEqual(['1', '5', '3', '2', '4']);
    await sortByLatency.click();
    expect(await lines()).toEqual(['3', '5', '1', '2', '4']);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
    cleanup();
  }
});
