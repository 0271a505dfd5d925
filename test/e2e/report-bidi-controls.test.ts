/**
 * Bidirectional controls (U+202A–U+202E, U+2066–U+2069) in prompts, answers, ids and error messages
 * are shown on the page as markers, not applied: applied, `\u202eevil\u202c` read "live" in the table,
 * the row's details and the same prompt's other rows, and the errors table, as the terminal's `�`
 * keeps them from doing there. In Debian's chromium (see report-browser.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { ROOT, runCli, tempDir } from '../helpers/run-cli.js';
import { resultRow } from '../helpers/report-rows.js';

declare const document: any;

const SHOTS = path.join(ROOT, '.tmp', 'report-screenshots');
const TROJAN = 'ECHO مرحبا \u202eevil\u202c mixed \u2066iso\u2069';
const CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

const row = (i: number, extra: Record<string, unknown>) => JSON.stringify(resultRow(i, extra));

it('shows bidi controls as markers in the table, the details, the other rows and the errors table', async () => {
  const { dir, cleanup } = tempDir('llm-batch-report-bidi-');
  const browser = await launchBrowser();
  try {
    const id = 'id\u202eabc\u202c';
    const rows = [
      // Structured output too: its field cards show the values, and a field's name, as the model wrote them.
      row(0, { id, prompt: TROJAN, response: TROJAN, output: { ['lab\u202eel']: TROJAN } }),
      row(1, { id, prompt: TROJAN, response: `other ${TROJAN}`, model: 'gpt\u202eevil\u202c', output: { ['lab\u202eel']: TROJAN } }),
      row(2, { response: null, error: { type: 'http', status: 500, message: `server said ${TROJAN}` }, finish_reason: null }),
    ];
    // The file's name and folder with controls too: `b\u202elmth.jsonl` read as "…html" in the heading.
    fs.mkdirSync(path.join(dir, 'in\u202edir'));
    const results = path.join(dir, 'in\u202edir', 'b\u202elmth.jsonl');
    fs.writeFileSync(results, `${rows.join('\n')}\n`);
    // Priced: the cost card names the served model its answers were priced as.
    expect((await runCli(['report', results, '-q', '--price', '1/2', '-o', path.join(dir, 'b.html')])).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'b.html'), 'utf8')).toContain('<title>b⟨U+202E⟩lmth.jsonl · llm-batch report</title>');
    const { page, errors } = await openReport(browser.context, path.join(dir, 'b.html'));
    expect(await page.title()).toBe('b⟨U+202E⟩lmth.jsonl · llm-batch report');
    expect(await page.locator('h1').textContent()).toBe('b⟨U+202E⟩lmth.jsonl');
    expect(await page.locator('#subtitle').textContent()).toContain('in⟨U+202E⟩dir/ · ');
    const first = page.locator('table.rows tbody tr[data-row="0"]');
    expect(await first.locator('td.text').first().textContent()).toBe('ECHO مرحبا ⟨U+202E⟩evil⟨U+202C⟩ mixed ⟨U+2066⟩iso⟨U+2069⟩');
    expect(await first.locator('td.id').textContent()).toBe('id⟨U+202E⟩abc⟨U+202C⟩');
    expect(await first.locator('.ctl').first().getAttribute('title')).toMatch(/^U\+202E, a bidirectional control/);
    await first.locator('button.expand').click();
    const detail = page.locator('tr.detail');
    expect(await detail.locator('pre.prompt').textContent()).toBe('ECHO مرحبا ⟨U+202E⟩evil⟨U+202C⟩ mixed ⟨U+2066⟩iso⟨U+2069⟩');
    expect(await detail.locator('.sibling pre').textContent()).toMatch(/^other ECHO مرحبا ⟨U\+202E⟩evil/);
    expect(await page.locator('#fields table.mini td').first().textContent()).toBe('ECHO مرحبا ⟨U+202E⟩evil⟨U+202C⟩ mixed ⟨U+2066⟩iso⟨U+2069⟩');
    expect(await page.locator('#fields .card .label').first().textContent()).toBe('lab⟨U+202E⟩el');
    expect(await page.locator('#errors td.text').textContent()).toBe('server said ECHO مرحبا ⟨U+202E⟩evil⟨U+202C⟩ mixed ⟨U+2066⟩iso⟨U+2069⟩');
    // A model named with one: the comparison's heading and the chart's legend (review s55: they read "blive").
    expect(await page.locator('.comparison[data-by="model"] tbody th').allTextContents()).toContain('gpt⟨U+202E⟩evil⟨U+202C⟩');
    expect(await page.locator('.comparison[data-by="model"] .u-legend').textContent()).toContain('gpt⟨U+202E⟩evil⟨U+202C⟩');
    // Nowhere on the page does a control act: every one is a marker.
    expect(await page.evaluate(() => document.getElementById('app').textContent)).not.toMatch(CONTROL);
    // A marker is one unit, left to right, in right-to-left text too.
    expect(
      await page
        .locator('.ctl')
        .first()
        .evaluate((el: any) => el.ownerDocument.defaultView.getComputedStyle(el).unicodeBidi),
    ).toBe('isolate');
    // The row still is what a search for its text finds.
    await page.locator('input.search').fill('evil');
    await expect.poll(() => page.locator('table.rows tbody tr:not(.detail)').count()).toBe(3);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'bidi-controls.png'), fullPage: true });
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
    cleanup();
  }
});
