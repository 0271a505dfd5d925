/**
 * A resume stopped before it asked a prompt again whose earlier row failed: the page showed that row
 * and also counted its prompt as not run ("ok 5 · 83 % of 6 rows · 1 prompt not run", "1 prompt
 * not run, so not in this report" for a 6-prompt run whose every prompt has its row). Each prompt
 * counts once: `--report` on the run, and `report` of its file with its --summary-json.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';

const { dir, fresh, writeFile } = useServers('llm-batch-report-stop-failed-');
let browser: { context: BrowserContext; close: () => Promise<void> };
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The stop notice and the ok card's note of a report, as the page shows them. */
async function stopTexts(file: string): Promise<{ stopped: string; ok: string }> {
  const { page, errors } = await openReport(browser.context, file);
  const text = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const texts = { stopped: await text('#stopped'), ok: await text('.card[data-figure="ok"] .note') };
  expect(errors).toEqual([]);
  await page.close();
  return texts;
}

it('a resume stopped before it asked a failed prompt again counts that prompt once, as its row', async () => {
  const { server, run } = await fresh({ latencyMs: 0, fault: ({ prompt }) => (prompt === 'question 2' ? '500' : undefined) });
  const input = writeFile('p.txt', Array.from({ length: 6 }, (_, i) => `question ${i}`).join('\n'));
  const out = path.join(dir, 'out.jsonl');
  expect((await run([input, '-c', '1', '-o', out, '--retries', '0', '-q'])).code).toBe(1);
  // The resume asks the HTTP 500 again (a transient failure): the quota stops it first.
  server.options.fault = () => 'quota';
  const summary = path.join(dir, 'sum.json');
  const runReport = path.join(dir, 'run.html');
  const resumed = await run([input, '-c', '1', '-o', out, '--resume', '--summary-json', summary, '--report', runReport]);
  expect(resumed.code, resumed.stderr).toBe(3);
  expect(resumed.stderr).toMatch(/stopped \(quota\): 0 ok, 0 failed, 1 not run, 5 already done/);

  const fileReport = path.join(dir, 'file.html');
  const rep = await runCli(['report', out, '--summary-json', summary, '-o', fileReport, '-q']);
  expect(rep.code, rep.stderr).toBe(0);
  for (const file of [runReport, fileReport]) {
    const { stopped, ok } = await stopTexts(file);
    expect(stopped).toMatch(/^The run stopped early \(quota\); 1 prompt whose earlier failed row is here not asked again\. To finish: llm-batch .* --resume /);
    expect(ok).toBe('83.3 % of 6 rows');
  }
});
