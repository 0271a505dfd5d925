/**
 * `--batch-api --resume` of an output whose batches are not collected yet (the hourly cron idiom,
 * `--no-wait --resume`, while the first batch runs): the input and settings are checked against the
 * run that planned them before anything is collected, submitted or recorded, as a resume of rows is.
 * The BUILT CLI against the mock server's Batch API (test/helpers/mock-batches.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { uploadedPrompts as uploadedPromptsOf } from '../helpers/mock-batches.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-batchresumecheck-');

const prompts = (n: number, word = 'q') => Array.from({ length: n }, (_, i) => `${word}${i + 1}`);
const rowsOf = (file: string): Array<{ prompt: string; response: string | null }> => (fs.existsSync(file) ? parseJsonl(fs.readFileSync(file, 'utf8')) : []);
const batchArgs = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05', '--no-cache'];
const uploadedPrompts = () => uploadedPromptsOf(ctx.server.batchState);

/** A run from stdin (3 prompts) that exits 75 with its batch held on the server, then let go: what a resume finds. */
async function pendingFromStdin(): Promise<{ out: string; args: string[] }> {
  let holding = true;
  ctx.server.options.batches = { stepMs: 20, hold: () => holding };
  const out = path.join(ctx.dir, 'out.jsonl');
  const args = ['-', '-o', out, ...batchArgs(), '--input-format', 'txt'];
  expect((await runCli([...args, '--no-wait', '-q'], { stdin: `${prompts(3).join('\n')}\n` })).code).toBe(75);
  holding = false;
  return { out, args };
}

describe('--batch-api --no-wait -q, the cron idiom', () => {
  it('silent while a batch waits; with a failed row its summary comes with the pending line and the command', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const clean = path.join(ctx.dir, 'clean.jsonl');
    const quiet = await runCli([writePrompts(ctx.dir, 'clean.txt', prompts(2)), '-o', clean, ...batchArgs(), '--no-wait', '-q']);
    expect({ code: quiet.code, stderr: quiet.stderr }).toEqual({ code: 75, stderr: '' });
    const input = path.join(ctx.dir, 'one-bad.jsonl');
    fs.writeFileSync(input, '{"id":"a","prompt":"x1"}\n{"id":"b"}\n');
    const r = await runCli([input, '-o', path.join(ctx.dir, 'one-bad-out.jsonl'), ...batchArgs(), '--no-wait', '-q']);
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toMatch(/0 ok, 1 failed \(input 1\)/);
    expect(r.stderr).toMatch(/^llm-batch: 1 batch is still pending.*; to continue, run: llm-batch .*--resume/m);
  });
});

describe('--batch-api progress lines', () => {
  it('a line when a batch moves on or another tenth of it is done, not at every poll whose counts moved', async () => {
    ctx.server.options.batches = { stepMs: 1200, progressCounts: true };
    const input = writePrompts(ctx.dir, 'progress.txt', prompts(100));
    const r = await runCli([input, '-o', path.join(ctx.dir, 'progress.jsonl'), ...batchArgs()]);
    expect(r.code, r.stderr).toBe(0);
    const running = r.stderr.split('\n').filter((line) => /: in_progress, \d+\/100 done/.test(line));
    // ~20 polls while it runs (one each 0.05 s), each with other counts: at most a line a tenth.
    expect(running.length).toBeGreaterThan(0);
    expect(running.length).toBeLessThanOrEqual(11);
    const tenths = running.map((line) => Math.floor(Number(/, (\d+)\/100 done/.exec(line)![1]) / 10));
    expect(new Set(tenths).size).toBe(tenths.length);
  });
});

describe('--batch-api --resume with batches pending', () => {
  it('refuses an edited input or other settings before collecting, submitting or rewriting the metadata; --force-resume collects, then sends', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batchArgs(), '--no-wait', '-q'])).code).toBe(75);
    const meta = fs.readFileSync(`${out}.meta.json`, 'utf8');
    holding = false;

    // Tomorrow's export in place of today's, while today's batch is still pending.
    fs.writeFileSync(input, 'q1\nq2 edited\nq3\nq4\n');
    const edited = await runCli([input, '-o', out, ...batchArgs(), '--no-wait', '--resume', '-q']);
    expect(edited.code, edited.stderr).toBe(2);
    expect(edited.stderr).toMatch(/out\.jsonl was written by a different run \(the input .*in\.txt was edited since the output was started/);
    expect(edited.stderr).toMatch(
      /refusing to mix results; nothing was sent\. That run's 1 batch not collected yet holds its prompts: a --resume with its input and settings collects them\. Pass --force-resume to continue anyway \(it collects them, then sends/,
    );
    // Other settings on the original input: refused the same way.
    fs.writeFileSync(input, `${prompts(4).join('\n')}\n`);
    const settings = await runCli([input, '-o', out, ...batchArgs().slice(0, 2), ...batchArgs().slice(4), '-m', 'gpt-4o', '--temperature', '1.5', '--resume']);
    expect(settings.code, settings.stderr).toBe(2);
    expect(settings.stderr).toMatch(/model: "gpt-4o" was not one of the run's models \("gpt-4o-mini"\); temperature: was null, now 1\.5\); refusing to mix/);
    // Nothing collected, nothing submitted, the run's record unchanged.
    expect(ctx.server.batchState.counts.downloads).toBe(0);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(rowsOf(out)).toEqual([]);
    expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(meta);

    // --force-resume on the edited input: the pending batch's answers (paid for) are collected, then the edited line goes out.
    fs.writeFileSync(input, 'q1\nq2 edited\nq3\nq4\n');
    const forced = await runCli([input, '-o', out, ...batchArgs(), '--resume', '--force-resume']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(uploadedPrompts()).toEqual([prompts(4), ['q2 edited']]);
    expect(
      rowsOf(out)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual([...prompts(4), 'q2 edited'].sort());
  });

  it('from stdin: another input is refused before it is submitted', async () => {
    const { out, args } = await pendingFromStdin();

    // What stdin holds is not recorded: the batch is collected (that run's rows), then the other input refused.
    const other = await runCli([...args, '--resume', '-q'], { stdin: `${prompts(5, 'other').join('\n')}\n` });
    expect(other.code, other.stderr).toBe(2);
    expect(other.stderr).toMatch(
      /none of the 5 prompts read from stdin has a row there or is in its batches: .*refusing to mix results: that run's batches were collected into it, and nothing of this input was sent\./,
    );
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(rowsOf(out).map((r) => r.prompt)).toEqual(prompts(3));
  });

  it('from stdin, the input that planned the pending batch passes even when they are collected first, and its added line runs', async () => {
    const { out, args } = await pendingFromStdin();
    const same = await runCli([...args, '--resume'], { stdin: `${prompts(4).join('\n')}\n` });
    expect(same.code, same.stderr).toBe(0);
    expect(uploadedPrompts()).toEqual([prompts(3), ['q4']]);
    expect(
      rowsOf(out)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(prompts(4));
  });
});
