/**
 * `report` of a results file that ends with a row cut short (a crash, a full disk, `head -c`): the row
 * is left out, as --compact and merge leave it out, and said the same way, on stderr even with -q and
 * on the page. It used to say "report of 15 rows written" and nothing of the row it dropped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { reportDataOf } from '../helpers/report-data.js';

const TORN = /^llm-batch: \S+ ends with a row cut short \(no line end after it\), left out; a --resume of its run asks that prompt again$/m;

describe.each(['jsonl', 'csv'] as const)('report of a %s file that ends with a row cut short', (format) => {
  it('says so on stderr (even with -q) and on the page, and counts the whole rows', async () => {
    const { dir, cleanup } = tempDir('llm-batch-report-torn-');
    try {
      const input = writePrompts(
        dir,
        'p.txt',
        Array.from({ length: 20 }, (_, i) => `question ${i}`),
      );
      const out = path.join(dir, `out.${format}`);
      const run = await runCli([input, '--mock', '-o', out, '-q']);
      expect(run.code, run.stderr).toBe(0);
      const whole = fs.readFileSync(out);
      // Cut in the middle of the 16th line (the 15th row of a CSV, after its header).
      let at = 0;
      for (let n = 0; n < 15; n++) at = whole.indexOf(0x0a, at) + 1;
      const trunc = path.join(dir, `trunc.${format}`);
      fs.writeFileSync(trunc, whole.subarray(0, at + 20));
      const rows = format === 'csv' ? 14 : 15;

      const said = await runInWorker(['report', trunc, '-o', path.join(dir, 'said.html')]);
      expect(said.code, said.stderr).toBe(0);
      expect(said.stderr).toMatch(TORN);
      expect(said.stderr).toContain(`${trunc} ends with a row cut short`);
      expect(said.stderr).toMatch(new RegExp(`report of ${rows} rows written`));

      const quiet = await runInWorker(['report', trunc, '-q', '-o', path.join(dir, 'quiet.html')]);
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stderr).toMatch(TORN);
      expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
      const data = reportDataOf(path.join(dir, 'quiet.html'));
      expect(data.source.tornRow).toBe(true);
      expect(data.figures.rows).toBe(rows);
      const browser = await launchBrowser();
      try {
        const { page, errors } = await openReport(browser.context, path.join(dir, 'quiet.html'));
        expect(await page.locator('#torn').textContent()).toMatch(/^The file ends with a row cut short .*left out of this report/);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }

      // The same words as --compact's.
      const compact = await runInWorker(['--compact', trunc, '-o', path.join(dir, `c.${format}`), '-q']);
      expect(compact.stderr.trim()).toBe(quiet.stderr.trim());

      // A whole file: no such line, no such notice.
      const clean = await runCli(['report', out, '-q', '-o', path.join(dir, 'clean.html')]);
      expect(clean.stderr).toBe('');
      expect(reportDataOf(path.join(dir, 'clean.html')).source.tornRow).toBeUndefined();
    } finally {
      cleanup();
    }
  });
});
