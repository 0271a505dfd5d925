/**
 * A report past its table's limits: the table holds a sample and says so. The 100,000-row report of
 * a real run is a scale test: test/scale/report-100k.test.ts (`npm run test:scale`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { tempDir } from '../helpers/run-cli.js';
import { buildReportData } from '../../src/report/build-report-data.js';
import { loadPageAssets } from '../../src/report/page-assets.js';
import { reportRowFromJson } from '../../src/report/read-report-rows.js';
import { renderHtml } from '../../src/report/render-html.js';

let tmp: { dir: string; cleanup: () => void };

beforeAll(() => {
  tmp = tempDir('llm-batch-report-sampled-');
});
afterAll(() => tmp?.cleanup());

it('beyond its limits the table holds a sample and says so, while the figures count every row', async () => {
  const rows = Array.from({ length: 3000 }, (_, i) =>
    reportRowFromJson({
      id: `r${i}`,
      line: i + 1,
      prompt: `p${i}`,
      response: i % 10 ? `a${i}` : null,
      error: i % 10 ? null : { type: 'timeout', message: 'timed out' },
      attempts: 1,
      latency_ms: i % 10 ? i : null,
    }),
  );
  const data = await buildReportData({
    rows,
    title: 'sampled.jsonl',
    source: { path: 'sampled.jsonl', format: 'jsonl', bytes: 1 },
    tableLimits: { rows: 1000, chars: 1e9 },
  });
  const file = path.join(tmp.dir, 'sampled.html');
  fs.writeFileSync(file, renderHtml(data, loadPageAssets()));
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openReport(browser.context, file);
    expect(await page.locator('#sampled').innerText()).toMatch(/sample of 1,000 of the 3,000 rows/);
    expect(await page.locator('[data-figure="ok"] .value').innerText()).toBe('2,700');
    expect(await page.locator('[data-figure="failed"] .value').innerText()).toBe('300');
    expect(errors).toEqual([]);
    await page.close();
  } finally {
    await browser.close();
  }
});
