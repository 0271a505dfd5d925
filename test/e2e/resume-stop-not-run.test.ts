/**
 * A resume stopped early over a large input: its "not run" counts only the prompts the output has
 * no answer for, not every record past where the reader had got to (it said 168,032 not run of a
 * 200,000-prompt output where 200 were left, to a cron job reading `notRun`). Its "already done"
 * counts every answer the output holds, not the few the reader had passed (it said "0 ok, 0 failed,
 * 1 not run, 2 already done" of 6). The BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-resume-not-run-');

const failed = (row: object, type: string) => ({ ...row, response: null, error: { type, message: type } });

describe('a resume stopped while most of the input is already answered', () => {
  it('counts as not run only the prompts without an answer: --summary-json and the summary line', async () => {
    const prompts = Array.from({ length: 3000 }, (_, i) => `prompt ${i}`);
    const input = writePrompts(ctx.dir, 'in.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, '--base-url', ctx.server.url, '-c', '64']);
    expect(first.code, first.stderr).toBe(0);
    // The first 300 prompts have no row (a run killed early and answered by another), and one near
    // the end is a transient failure: 301 left. One is a permanent failure, done without
    // --retry-failed. The reader stops among the first 300 (its read-ahead is full), far from the
    // 2,699 rows after them.
    const rows = parseJsonl<{ prompt: string; line: number }>(fs.readFileSync(out, 'utf8'));
    fs.writeFileSync(
      out,
      `${rows
        .filter((row) => row.line > 300)
        .map((row) => JSON.stringify(row.prompt === 'prompt 2990' ? failed(row, 'timeout') : row.prompt === 'prompt 1500' ? failed(row, 'truncated') : row))
        .join('\n')}\n`,
    );

    const summary = path.join(ctx.dir, 'summary.json');
    const release = holdAnswers(ctx.server);
    try {
      const sent = ctx.server.requests.length;
      const child = spawnCli([input, '-o', out, '--base-url', ctx.server.url, '-c', '1', '--resume', '--summary-json', summary]);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exit = waitForExit(child);
      // The first prompt is asked (and held).
      await until(() => child.exitCode !== null || ctx.server.requests.length > sent, 'the first resumed request');
      child.kill('SIGTERM');
      await until(() => child.exitCode !== null || stderr.includes('stopping:'), 'the stop said');
      child.kill('SIGTERM'); // the second stop gives up the held request at once
      const r = await exit;
      expect(r.code, r.stderr).toBe(130);
      const figures = JSON.parse(fs.readFileSync(summary, 'utf8')) as {
        ok: number;
        failed: number;
        notRun: number | null;
        skipped: number;
        skippedFailed: number;
      };
      expect(figures.ok + figures.failed).toBe(0);
      expect(figures).toMatchObject({ notRun: 301, skipped: 2699, skippedFailed: 1 });
      expect(r.stderr).toMatch(/interrupted: 0 ok, 0 failed, 301 not run, 2,699 already done \(1 of them failed; --retry-failed re-runs it\)/);
    } finally {
      release();
    }
  });
});
