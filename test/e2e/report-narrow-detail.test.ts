/**
 * At a phone's width (375 px) an opened row's prompt and answer keep to the visible width of the
 * table's scroll area, scrolled sideways or not. They were as wide as the whole table (677 px inside
 * a 355 px area), so every line ran off the screen. In Debian's chromium (see report-browser.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const long = (words: string, n: number) => Array.from({ length: n }, () => words).join(' ');

it('an opened row keeps to the visible width at 375 px, and stays in view when the table scrolls sideways', async () => {
  const { dir, cleanup } = tempDir('llm-batch-report-narrow-');
  const browser = await launchBrowser();
  try {
    const rows = Array.from({ length: 3 }, (_, i) =>
      JSON.stringify({
        id: `r${i}`,
        line: i + 1,
        prompt: long('Summarise the history of distributed batch processing and its failure modes.', 4),
        response: long('Stragglers, partial writes and retries that duplicate work.', 6),
        error: null,
        attempts: 1,
        latency_ms: 300,
        model: 'gpt-4o-mini',
        finish_reason: 'stop',
        usage: { prompt_tokens: 50, completion_tokens: 80 },
      }),
    );
    const results = path.join(dir, 'w.jsonl');
    fs.writeFileSync(results, `${rows.join('\n')}\n`);
    expect((await runCli(['report', results, '-q'])).code).toBe(0);
    const { page, errors } = await openReport(browser.context, path.join(dir, 'w.html'), { width: 375 });
    await page.locator('table.rows tbody tr').first().click();
    const scroll = page.locator('.scroll:has(table.rows)');
    const inside = async () => {
      const area = (await scroll.boundingBox())!;
      for (const box of [page.locator('tr.detail .detail-body'), page.locator('tr.detail pre.answer')]) {
        const b = (await box.boundingBox())!;
        expect(b.x).toBeGreaterThanOrEqual(area.x);
        expect(b.x + b.width).toBeLessThanOrEqual(area.x + area.width + 0.5);
      }
    };
    // The table itself is wider than the window: it scrolls, the details do not run off with it.
    expect(await scroll.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await inside();
    await scroll.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    await inside();
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
    cleanup();
  }
});
