/**
 * The report of a file whose every answer came from the response cache: nothing was sent, so its
 * wall-time card says that, not "needs started_at/finished_at" (which reads like an older llm-batch).
 * Unless a --batch-api run's batches not collected yet hold the rest: then it does not say "nothing sent".
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { launchBrowser, openReport } from '../helpers/browser.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServer('llm-batch-report-all-cached-');

it('says every answer came from the cache on the wall-time card', async () => {
  const dir = fs.mkdtempSync(path.join(ctx.dir, 'a-'));
  const input = writePrompts(dir, 'p.txt', ['one', 'two', 'three']);
  const cacheDir = path.join(dir, 'cache');
  const run = (out: string) => runCli([input, '--base-url', ctx.server.url, '-o', path.join(dir, out), '--cache-dir', cacheDir, '-q']);
  expect((await run('first.jsonl')).code).toBe(0);
  expect((await run('again.jsonl')).code).toBe(0);
  const report = await runCli(['report', path.join(dir, 'again.jsonl'), '-q']);
  expect(report.code, report.stderr).toBe(0);
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openReport(browser.context, path.join(dir, 'again.html'));
    const card = page.locator('[data-figure="wall time"]');
    expect(await card.locator('.note').textContent()).toBe('every answer from the response cache: no request time');
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});

it('does not say nothing was sent while a --batch-api batch holds the rest', async () => {
  const dir = fs.mkdtempSync(path.join(ctx.dir, 'b-'));
  const cacheDir = path.join(dir, 'cache');
  const run = (prompts: string[], out: string, ...more: string[]) =>
    runCli([
      writePrompts(dir, `${out}.txt`, prompts),
      '--base-url',
      ctx.server.url,
      '-m',
      'gpt-4o',
      '-o',
      path.join(dir, out),
      '--cache-dir',
      cacheDir,
      '-q',
      ...more,
    ]);
  expect((await run(['one', 'two'], 'live.jsonl')).code).toBe(0);
  // Batches that take a minute: --no-wait leaves the one request not in the cache pending.
  ctx.server.options.batches = { stepMs: 60_000 };
  const submitted = await run(['one', 'two', 'three'], 'out.jsonl', '--batch-api', '--no-wait');
  expect(submitted.code, submitted.stderr).toBe(75);
  const report = await runCli(['report', path.join(dir, 'out.jsonl'), '-q']);
  expect(report.code, report.stderr).toBe(0);
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openReport(browser.context, path.join(dir, 'out.html'));
    expect(await page.locator('#subtitle').textContent()).toMatch(/ · every row from the response cache, the rest in batches not collected yet · /);
    expect(await page.locator('#no-timeline').textContent()).toBe(
      'Every row came from the response cache (the rest are in batches not collected yet), so no time chart.',
    );
    expect(await page.locator('#pending').count()).toBe(1);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
