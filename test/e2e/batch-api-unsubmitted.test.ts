/**
 * Batches a --batch-api run built and never submitted (an upload the server refused, a stop during
 * the upload) over an output that got rows since: no answer is bought twice, and no chunk of an old
 * input is submitted into a new output. The BUILT CLI against the mock server's Batch API
 * (test/helpers/mock-batches.ts), its first upload refused with a 404 (a server without /files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { uploadedPrompts } from '../helpers/mock-batches.js';
import { stderrLines, stopDuringUpload, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-unsubmitted-');

beforeEach(() => {
  // The first upload is refused (exit 2, its chunk left built); the server has the Batch API after.
  ctx.server.options.batches = { stepMs: 20, uploadStatus: (n) => (n === 1 ? 404 : undefined) };
});

const prompts = (n: number) => Array.from({ length: n }, (_, i) => `q${i + 1}`);
const promptsIn = (file: string): string[] =>
  parseJsonl<{ prompt: string }>(fs.readFileSync(file, 'utf8'))
    .map((row) => row.prompt)
    .sort();
const liveArgs = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--no-cache'];
const batchArgs = () => [...liveArgs(), '--batch-api', '--poll', '0.05'];

/** A --batch-api run of `names` into out.jsonl whose upload the server refuses: its chunks stay built. */
async function builtNotSubmitted(names: readonly string[], ...more: string[]): Promise<{ input: string; out: string }> {
  const input = writePrompts(ctx.dir, 'in.txt', names);
  const out = path.join(ctx.dir, 'out.jsonl');
  const r = await runCli([input, '-o', out, ...batchArgs(), ...more]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/uploading chunk-00001\.jsonl: HTTP 404/);
  return { input, out };
}

/**
 * A live --resume over `out` that does not see its batch state: as a live run of an earlier version
 * left an output (it said nothing of the built batches), or a kill right after the rows were written.
 */
async function liveResumeUnseen(input: string, out: string, ...more: string[]): Promise<void> {
  const [manifest, chunks] = [`${out}.batch.json`, `${out}.batch.d`];
  fs.renameSync(manifest, `${manifest}.aside`);
  fs.renameSync(chunks, `${chunks}.aside`);
  const live = await runCli([input, '-o', out, ...liveArgs(), '--resume', ...more]);
  fs.renameSync(`${manifest}.aside`, manifest);
  fs.renameSync(`${chunks}.aside`, chunks);
  expect(live.code, live.stderr).toBe(0);
}

describe('a live --resume over batches built and never submitted', () => {
  it('drops them, so a later --batch-api --resume (and the report) submits nothing twice', async () => {
    const { input, out } = await builtNotSubmitted(prompts(5));
    const live = await runCli([input, '-o', out, ...liveArgs(), '--resume']);
    expect(live.code, live.stderr).toBe(0);
    expect(promptsIn(out)).toEqual(prompts(5));
    const report = await runInWorker(['report', out, '-o', path.join(ctx.dir, 'out.html')]);
    const again = await runCli([input, '-o', out, ...batchArgs(), '--resume']);

    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.batchState.counts.uploads).toBe(1);
    expect(ctx.server.batchState.counts.creates).toBe(0);
    expect(again.stderr).toMatch(/0 ok, 0 failed, 5 already done .*est\. \$0\.00/);
    expect(promptsIn(out)).toEqual(prompts(5));
    expect(live.stderr).toMatch(
      /^llm-batch: dropping 1 batch \(5 requests\) an earlier --batch-api run built and never submitted: this run sends the prompts without a row$/m,
    );
    // Nothing is left to submit: the report says nothing of it.
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).not.toMatch(/built but not submitted|--batch-api --resume/);
  });
});

describe('a live --resume over a batch uploaded and never created', () => {
  it('names the request file it leaves on the server', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const stopped = await stopDuringUpload(ctx.server, [input, '-o', out, ...batchArgs()]);
    expect(stopped.code, stopped.stderr).toBe(130);
    const [file] = ctx.server.batchState.uploaded;
    const live = await runCli([input, '-o', out, ...liveArgs(), '--resume']);
    expect(live.code, live.stderr).toBe(0);
    expect(stderrLines(live).find((line) => line.includes('dropping'))).toBe(
      `llm-batch: dropping 1 batch (3 requests) an earlier --batch-api run built and never submitted: this run sends the prompts without a row; its request file ${file!.id} stays on the server, holding the prompts: delete it there if it should not`,
    );
    expect(JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')).chunks[0]).toMatchObject({
      collected: true,
      note: 'dropped: taken over by a live --resume',
    });
  });
});

describe('--batch-api --resume of batches built and never submitted, some of whose prompts got rows since', () => {
  it('submits only the prompts still without a row; a batch left with none is not submitted, and the report leads to no double payment', async () => {
    // Two batches of 3: q1–q3 and q4–q6; the live run answers q1–q4.
    const { input, out } = await builtNotSubmitted(prompts(6), '--batch-size', '3');
    await liveResumeUnseen(input, out, '--limit', '4');
    expect(promptsIn(out)).toEqual(prompts(4));

    const report = await runInWorker(['report', out, '-o', path.join(ctx.dir, 'out.html')]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toMatch(/lists 2 batches \(6 requests\) built but not submitted: .*to submit them, run .*--batch-api --resume/);

    // What the report advises.
    const again = await runCli([input, '-o', out, ...batchArgs(), '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^llm-batch: batch 1\/2: not submitted: its 3 requests have a row in the output already$/m);
    expect(again.stderr).toMatch(/^llm-batch: batch 2\/2: 1 of its 3 requests has a row in the output already; only the other 2 are submitted$/m);
    expect(uploadedPrompts(ctx.server.batchState)).toEqual([['q5', 'q6']]);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(again.stderr).toMatch(/2 ok, 0 failed, 4 already done/);
    expect(promptsIn(out)).toEqual(prompts(6));
    expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
  });

  it('a chunk uploaded before a stop, its batch never created: uploaded again without the answered prompts, the old file deleted', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const stopped = await stopDuringUpload(ctx.server, [input, '-o', out, ...batchArgs()]);
    expect(stopped.code, stopped.stderr).toBe(130);
    const [first] = ctx.server.batchState.uploaded;
    expect(JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')).chunks[0]).toMatchObject({ status: 'uploaded', fileId: first!.id });

    await liveResumeUnseen(input, out, '--limit', '2');
    const again = await runCli([input, '-o', out, ...batchArgs(), '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/batch 1\/1: 2 of its 4 requests have a row in the output already; only the other 2 are submitted/);
    expect(uploadedPrompts(ctx.server.batchState)).toEqual([prompts(4), ['q3', 'q4']]);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(ctx.server.batchState.deleted).toContain(first!.id);
    expect(promptsIn(out)).toEqual(prompts(4));
  });
});

describe('a live run that starts the output again over batches built and never submitted', () => {
  it.each([
    ['--overwrite', () => ['--overwrite'], / \(--overwrite\)$/],
    [
      'a new output (the old one removed)',
      (out: string) => {
        fs.rmSync(out);
        return [];
      },
      /never submitted$/,
    ],
  ])('%s drops them: a later --batch-api --resume submits none of the old input', async (_, flags, end) => {
    const { out } = await builtNotSubmitted(['old 1', 'old 2', 'old 3']);
    const input = writePrompts(ctx.dir, 'new.txt', ['new 1', 'new 2']);
    const live = await runCli([input, '-o', out, ...liveArgs(), ...flags(out)]);
    expect(live.code, live.stderr).toBe(0);
    const again = await runCli([input, '-o', out, ...batchArgs(), '--resume']);

    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.batchState.counts.uploads).toBe(1);
    expect(ctx.server.batchState.counts.creates).toBe(0);
    expect(live.stderr).toMatch(/^llm-batch: abandoning 1 batch \(3 requests\) an earlier --batch-api run built and never submitted/m);
    expect(stderrLines(live).find((line) => line.includes('abandoning'))).toMatch(end);
    expect(promptsIn(out)).toEqual(['new 1', 'new 2']);
  });
});
