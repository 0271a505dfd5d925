/**
 * The "Over time" chart's legend says which bucket the pointer is on to the bucket's precision, in
 * UTC as its axis: it said `2026-12-03 3:36pm` for every 100 ms bucket of a 2-second run. In
 * Debian's chromium (see report-browser.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { jsonlOf, resultRow } from '../helpers/report-rows.js';

const T0 = Date.parse('2026-12-03T15:36:00.000Z');

it('names a 100 ms bucket to the tenth of a second, in UTC', async () => {
  const { dir, cleanup } = tempDir('llm-batch-report-legend-');
  const browser = await launchBrowser();
  try {
    // 40 answers 50 ms apart: a 2-second run, in 100 ms buckets.
    const rows = Array.from({ length: 40 }, (_, i) =>
      resultRow(i, { latency_ms: 120, started_at: new Date(T0 + i * 50).toISOString(), finished_at: new Date(T0 + i * 50 + 120).toISOString() }),
    );
    const results = path.join(dir, 't.jsonl');
    fs.writeFileSync(results, jsonlOf(rows));
    expect((await runCli(['report', results, '-q'])).code).toBe(0);
    const { page, errors } = await openReport(browser.context, path.join(dir, 't.html'));
    const over = page.locator('#timeline .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    const seen = new Set<string>();
    for (const share of [0.3, 0.6]) {
      await page.mouse.move(box.x + box.width * share, box.y + box.height / 2, { steps: 3 });
      const value = page.locator('#timeline .u-legend .u-series').first().locator('.u-value');
      await expect.poll(() => value.textContent()).toMatch(/^2026-12-03 15:36:0[0-2]\.\d UTC$/);
      seen.add((await value.textContent())!);
    }
    // Two places on the chart, two buckets: not one minute for both.
    expect(seen.size).toBe(2);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
    cleanup();
  }
});
