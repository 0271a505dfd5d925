/**
 * Re-asks in the report: a structured run's `--report` counts its re-asks apart from its retries,
 * as the summary does, and a report of its file (rows count only attempts) names both in the card,
 * instead of calling every re-ask a retry (12 "retries" for a run that had none).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-report-reasks-');
let browser: { context: BrowserContext; close: () => Promise<void> };
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string' } },
  required: ['label'],
  additionalProperties: false,
});

const cardText = async (file: string, label: string): Promise<string> => {
  const { page, errors } = await openReport(browser.context, file);
  const text = await page.locator(`.card[data-figure="${label}"]`).innerText();
  expect(errors).toEqual([]);
  await page.close();
  return text.replace(/\s+/g, ' ').trim();
};

describe('re-asks in the report', () => {
  it('--report of the run says retries 0 and the re-asks; a report of its file says "retries and re-asks"', async () => {
    const { run } = await fresh({ latencyMs: 0 });
    // Each "violate" prompt is answered wrong twice, then right: two re-asks each, no retry.
    const input = writeFile('p.txt', 'one [[schema:violate*2]]\ntwo [[schema:violate*2]]\nthree\n');
    const out = path.join(dir, 'out.jsonl');
    const runReport = path.join(dir, 'run.html');
    const r = await run([input, '--json-schema', SCHEMA, '-o', out, '--report', runReport, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(await cardText(runReport, 'retries')).toBe('retries 0 this run · 4 re-asks of invalid answers');

    const fileReport = path.join(dir, 'file.html');
    const rep = await runCli(['report', out, '-o', fileReport, '-q']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(await cardText(fileReport, 'retries and re-asks')).toBe(
      'retries and re-asks 4 attempts beyond the first: network retries and invalid answers asked again',
    );

    // A plain run's file keeps the plain card.
    const plainOut = path.join(dir, 'plain.jsonl');
    expect((await run([input, '-o', plainOut, '-q'])).code).toBe(0);
    const plainReport = path.join(dir, 'plain.html');
    expect((await runInWorker(['report', plainOut, '-o', plainReport, '-q'])).code).toBe(0);
    expect(await cardText(plainReport, 'retries')).toBe('retries 0 attempts beyond the first');
  });
});
