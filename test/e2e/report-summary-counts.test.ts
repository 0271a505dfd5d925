/**
 * `report --summary-json` refuses a summary whose ok/failed counts cannot be those of the run that
 * last wrote the file (exit 2, naming both files and the counts). It used to take an earlier run's
 * summary and show "2 ok, 8 failed" beside "requests 61 sent by this run", "retries 21" of a run
 * with --retries 0. A resume's summary (one invocation's rows, the rest skipped as done) still fits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { holdAnswers, useServer } from '../helpers/mock-server-hooks.js';
import { reportDataOf } from '../helpers/report-data.js';
import { runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { until } from '../helpers/until.js';

const ctx = useServer('llm-batch-report-summary-counts-');
beforeEach(() => {
  ctx.server.reset();
  ctx.server.options.fault = undefined;
});

const prompts = Array.from({ length: 30 }, (_, i) => `question ${i}`);
const failing = (prompt: string) => Number(prompt.split(' ')[1]) >= 2;

describe('llm-batch report --summary-json', () => {
  it("refuses an earlier run's summary whose counts the rows contradict, naming both files and the counts", async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'a-'));
    const input = writePrompts(dir, 'p.txt', prompts);
    const out = path.join(dir, 'out.jsonl');
    const full = path.join(dir, 'full.json');
    const run = [input, '--base-url', ctx.server.url, '-o', out, '-q'];
    expect((await runCli([...run, '--summary-json', full])).code).toBe(0);
    // The same output written again, 10 prompts, 8 of them failing and not retried.
    ctx.server.options.fault = ({ prompt }) => (failing(prompt) ? '500' : undefined);
    const ten = path.join(dir, 'ten.json');
    expect((await runCli([...run, '--overwrite', '--limit', '10', '--retries', '0', '--summary-json', ten])).code).toBe(1);

    const html = path.join(dir, 'r.html');
    const wrong = await runInWorker(['report', out, '--summary-json', full, '-o', html]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(
      `llm-batch: --summary-json ${full} counts 30 ok, 0 failed, but ${out} holds 2 ok and 8 failed (the last row of each prompt): it is not the summary of the run that last wrote it\n`,
    );
    expect(fs.existsSync(html)).toBe(false);

    const right = await runInWorker(['report', out, '--summary-json', ten, '-o', html, '-q']);
    expect(right.code, right.stderr).toBe(0);
    expect(reportDataOf(html)).toMatchObject({ figures: { ok: 2, failed: 8 }, run: { retries: 0, requests: 10 } });
  });

  it("takes a resume's summary (its own rows, the rest skipped as done), not the summary of the run it resumed", async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'b-'));
    const input = writePrompts(dir, 'p.txt', prompts.slice(0, 10));
    const out = path.join(dir, 'out.jsonl');
    const run = [input, '--base-url', ctx.server.url, '-o', out, '-q', '--retries', '0'];
    ctx.server.options.fault = ({ prompt }) => (failing(prompt) ? '503' : undefined);
    const first = path.join(dir, 'first.json');
    expect((await runCli([...run, '--summary-json', first])).code).toBe(1);
    ctx.server.options.fault = undefined;
    const resumed = path.join(dir, 'resumed.json');
    expect((await runCli([...run, '--resume', '--summary-json', resumed])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(resumed, 'utf8'))).toMatchObject({ ok: 8, failed: 0, skipped: 2 });

    const html = path.join(dir, 'r.html');
    const right = await runInWorker(['report', out, '--summary-json', resumed, '-o', html, '-q']);
    expect(right.code, right.stderr).toBe(0);
    expect(reportDataOf(html)).toMatchObject({ figures: { ok: 10, failed: 0 }, run: { requests: 8, skipped: 2 } });
    // The first run's 8 failures were all answered since: its summary is not of the rows there now.
    const stale = await runInWorker(['report', out, '--summary-json', first, '-o', html, '-q']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/counts 2 ok, 8 failed, but \S+out\.jsonl holds 10 ok and 0 failed/);
  });

  // With its own --summary-json, the running run's placeholder is there: it was read first and said
  // to be "the placeholder of a run that never finished (killed?)".
  it.each([
    ['an earlier run', false],
    ["the running run's placeholder", true],
  ])('refuses any summary (%s) for an output a run is still writing: that run writes its own when it ends', async (_what, own) => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'c-'));
    const out = path.join(dir, 'out.jsonl');
    const summary = path.join(dir, 's.json');
    const args = [writePrompts(dir, 'p.txt', prompts.slice(0, 6)), '--base-url', ctx.server.url, '-o', out, '-c', '1', '-q'];
    expect((await runCli([...args, '--limit', '3', '--summary-json', summary])).code).toBe(0);
    const sent = ctx.server.requests.length;
    const release = holdAnswers(ctx.server);
    const resume = waitForExit(spawnCli([...args, '--resume', ...(own ? ['--summary-json', summary] : [])]));
    try {
      await until(() => ctx.server.requests.length > sent, 'the resume to send a prompt');
      const during = await runCli(['report', out, '--summary-json', summary, '-o', path.join(dir, 'r.html')]);
      expect(during.code).toBe(2);
      expect(during.stderr).toBe(
        `llm-batch: --summary-json ${summary}: ${out} is still being written by a run in progress (it holds ${out}.lock), which writes its summary when it ends: report it without --summary-json, or once that run has ended\n`,
      );
    } finally {
      release();
      expect((await resume).code).toBe(0);
    }
  });
});
