/**
 * `--batch-api --overwrite` over yesterday's results: they go as the run asks the server for its
 * first batch (or writes its first row), not before. Every command a stopped or refused run prints,
 * followed as printed, goes on without mixing the old rows in or paying twice; state of its own that
 * it leaves beside results it kept would be taken by the old run's --resume, so it leaves none.
 * The BUILT CLI against the mock server's Batch API (test/helpers/mock-batches.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPort } from '../helpers/dead-port.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { interruptedAfterSubmit } from '../helpers/stop-after-submit.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-batchoverwrite-');

const prompts = (n: number, word = 'q') => Array.from({ length: n }, (_, i) => `${word}${i + 1}`);
const rowsOf = (file: string): Array<{ prompt: string; response: string | null }> => (fs.existsSync(file) ? parseJsonl(fs.readFileSync(file, 'utf8')) : []);
const batchArgs = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05', '--no-cache'];

/** Yesterday's results in out.jsonl (a live run of earlier.txt: old1, old2), and today's input (in.txt: q1-q3). */
async function earlierResults(): Promise<{ earlier: string; input: string; out: string }> {
  const earlier = writePrompts(ctx.dir, 'earlier.txt', prompts(2, 'old'));
  const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
  const out = path.join(ctx.dir, 'out.jsonl');
  expect((await runCli([earlier, '-o', out, '--base-url', ctx.server.url, '--no-cache', '-q'])).code).toBe(0);
  return { earlier, input, out };
}

/** Starts the CLI with `args` and resolves once it has begun an upload, with its exit to await. */
async function duringUpload(args: readonly string[]) {
  const before = ctx.server.batchState.counts.uploads;
  const child = spawnCli(args);
  const exited = waitForExit(child);
  let stderr = '';
  child.stderr!.on('data', (d: string | Buffer) => (stderr += d.toString()));
  await until(() => ctx.server.batchState.counts.uploads > before, 'the upload to begin');
  /**
   * Ctrl-C, returning once the run has said it is stopping: an upload let go before that may be
   * answered first (seen under a full suite's load), and the run then stops after it created a batch.
   */
  const interrupt = async () => {
    child.kill('SIGINT');
    await until(() => /stopping/.test(stderr) || child.exitCode !== null, 'the stop to be said');
  };
  return { child, exited, interrupt };
}

/** out.jsonl holds today's answers alone. */
const expectNewRows = (out: string) => expect(rowsOf(out).map((row) => [row.prompt, row.response])).toEqual(prompts(3).map((p) => [p, `ECHO ${p}`]));
const expectOldRows = (out: string) => expect(rowsOf(out).map((row) => row.prompt)).toEqual(prompts(2, 'old'));

describe('--batch-api --overwrite', () => {
  it('stopped once it submitted has replaced the old results: the --resume it prints collects into them', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, hold: () => holding };
    const { input, out } = await earlierResults();
    const stopped = await interruptedAfterSubmit([input, '-o', out, ...batchArgs(), '--overwrite']);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).not.toMatch(/left as it was/);
    expect(rowsOf(out)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'))).toMatchObject({ input });
    const printed = /to continue, run: llm-batch (.*)$/m.exec(stopped.stderr)?.[1];
    expect(printed).toMatch(/ --resume\b/);
    holding = false;
    const resumed = await runCli(printed!.split(' '));
    expect(resumed.code, resumed.stderr).toBe(0);
    expectNewRows(out);
    expect(ctx.server.batchState.counts.creates).toBe(1);
  });

  it('that could not reach the server left the old results: the command it prints is the same one, which plans again', async () => {
    ctx.server.options.batches = { stepMs: 20 };
    const { earlier, input, out } = await earlierResults();
    const dead = `http://127.0.0.1:${await deadPort()}/v1`;
    const summary = path.join(ctx.dir, 'summary.json');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--base-url', dead, '--overwrite', '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(4);
    expectOldRows(out);
    const printed = /when that is fixed, run: llm-batch (.*)$/m.exec(r.stderr)?.[1];
    expect(printed).toMatch(/ --overwrite\b/);
    expect(printed).not.toMatch(/--resume/);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ resumeHint: `llm-batch ${printed}` });
    // Its batch state went with it: kept beside the old record, the old run's --resume sent its prompts.
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
    const old = await runCli([earlier, '-o', out, '--base-url', ctx.server.url, '--no-cache', '--resume']);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toMatch(/0 ok, 0 failed, 2 already done/);
    expectOldRows(out);
    const fixed = await runCli(printed!.replace(dead, ctx.server.url).split(' '));
    expect(fixed.code, fixed.stderr).toBe(0);
    expectNewRows(out);
  });

  it('whose batch the server refused for want of money: the --resume it prints goes on once topped up', async () => {
    let broke = true;
    ctx.server.options.batches = { stepMs: 20, createQuota: () => broke };
    const { input, out } = await earlierResults();
    const r = await runCli([input, '-o', out, ...batchArgs(), '--overwrite']);
    expect(r.code, r.stderr).toBe(3);
    const printed = /; when that is fixed, run: llm-batch (.*)$/m.exec(r.stderr)?.[1];
    expect(printed).toMatch(/ --resume$/);
    expect(printed).not.toMatch(/--overwrite/);
    broke = false;
    const topped = await runCli(printed!.split(' '));
    expect(topped.code, topped.stderr).toBe(0);
    expectNewRows(out);
  });

  it('stopped during its upload keeps the old results and no state of its own; its summary says none waits, and no report takes the old rows for its own', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, uploadHold: () => holding };
    const { input, out } = await earlierResults();
    const summary = path.join(ctx.dir, 'summary.json');
    const report = path.join(ctx.dir, 'report.html');
    const { interrupt, exited } = await duringUpload([input, '-o', out, ...batchArgs(), '--overwrite', '--summary-json', summary, '--report', report]);
    await interrupt();
    holding = false;
    const r = await exited;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/out\.jsonl is left as it was: the run stopped before its first row/);
    expectOldRows(out);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
    const printed = /to try again, run: llm-batch (.*)$/m.exec(r.stderr)?.[1];
    expect(printed).toMatch(/ --overwrite\b/);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ resumeHint: `llm-batch ${printed}`, unsubmittedBatches: 0, pendingBatches: 0 });
    // The rows in the file are the old run's: as live, no report of them as this run's.
    expect(r.stderr).toMatch(/no rows to report: the run stopped before its first row/);
    expect(fs.existsSync(report)).toBe(false);
    const again = await runCli(printed!.split(' '));
    expect(again.code, again.stderr).toBe(0);
    expectNewRows(out);
  });

  it('--no-wait whose uploads fail keeps the old results (it asked for no batch), and the same command goes on', async () => {
    let outage = true;
    // Held in progress until the collecting run: a --no-wait that found it done already collected it
    // (exit 0, not 75) once, under CI's load.
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, uploadStatus: () => (outage ? 500 : undefined), hold: () => holding };
    const { input, out } = await earlierResults();
    const r = await runCli([input, '-o', out, ...batchArgs(), '--overwrite', '--no-wait']);
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toMatch(/out\.jsonl is left as it was: the run asked for no batch and wrote no row/);
    // Its batch state is dropped, so none waits to be uploaded.
    expect(r.stderr).toMatch(/no batch was asked for \(.*HTTP 500.*\), and the old results are kept; to try again, run: /);
    expect(r.stderr).not.toMatch(/waits to be uploaded/);
    expectOldRows(out);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
    const printed = /to try again, run: llm-batch (.*)$/m.exec(r.stderr)?.[1];
    expect(printed).toMatch(/ --overwrite\b/);
    outage = false;
    // --no-wait again: the batch created (the old results replaced), then its --resume collects it.
    const again = await runCli(printed!.split(' '));
    expect(again.code, again.stderr).toBe(75);
    const collect = /to continue, run: llm-batch (.*)$/m.exec(again.stderr)?.[1];
    expect(collect).toMatch(/ --resume$/);
    holding = false;
    const done = await runCli(collect!.split(' '));
    expect(done.code, done.stderr).toBe(0);
    expectNewRows(out);
  });

  it('refused by the lock of a run still uploading into the output, leaves that run its state: it collects its batch', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, uploadHold: () => holding };
    const { input, out } = await earlierResults();
    const { exited: running } = await duringUpload([input, '-o', out, ...batchArgs(), '--overwrite', '-q']);
    const second = await runCli([input, '-o', out, ...batchArgs(), '--overwrite']);
    expect(second.code, second.stderr).toBe(75);
    expect(second.stderr).toMatch(/in use by another llm-batch run/);
    expect(second.stderr).not.toMatch(/abandoning/);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(true);
    holding = false;
    const done = await running;
    expect(done.code, done.stderr).toBe(0);
    expectNewRows(out);
    expect(ctx.server.batchState.counts.creates).toBe(1);
  });

  it("kept the old results: their run's batch state is back, so its --resume still counts what its --max-cost spent", async () => {
    ctx.server.options.batches = { stepMs: 20 };
    const { input, out } = await earlierResults();
    const capped = writePrompts(ctx.dir, 'capped.txt', prompts(12, 'c'));
    const run = [capped, '-o', out, ...batchArgs(), '--max-tokens', '20', '--price', '1000/1000', '--max-cost', '0.05'];
    const first = await runCli([...run, '--overwrite']);
    expect(first.code, first.stderr).toBe(3);
    const rows = rowsOf(out).length;
    const creates = ctx.server.batchState.counts.creates;
    const state = JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8'));
    const dead = `http://127.0.0.1:${await deadPort()}/v1`;
    expect((await runCli([input, '-o', out, ...batchArgs(), '--base-url', dead, '--overwrite'])).code).toBe(4);
    expect(JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8'))).toMatchObject({ runKey: state.runKey, chunks: state.chunks });
    const again = await runCli([...run, '--resume']);
    expect(again.code, again.stderr).toBe(3);
    expect(again.stderr).toMatch(/budget reached/);
    expect(ctx.server.batchState.counts.creates).toBe(creates);
    expect(rowsOf(out)).toHaveLength(rows);
  });

  it('whose --max-cost holds its first request keeps the old results and says once how to go on', async () => {
    ctx.server.options.batches = { stepMs: 20 };
    const { input, out } = await earlierResults();
    const r = await runCli([input, '-o', out, ...batchArgs(), '--overwrite', '--max-tokens', '20', '--price', '1000/1000', '--max-cost', '0.000001']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/out\.jsonl is left as it was: the run asked for no batch and wrote no row/);
    expectOldRows(out);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
    const lines = r.stderr.split('\n').filter((line) => / run: llm-batch /.test(line));
    expect(lines).toEqual([expect.stringMatching(/^llm-batch: to finish the rest, run: llm-batch .* --overwrite .*--max-cost NEW_USD$/)]);
  });

  it("killed (kill -9) during its upload: the old results' run keeps its own state, whatever its --resume changes", async () => {
    let holding = false;
    ctx.server.options.batches = { stepMs: 20, uploadHold: () => holding };
    const earlier = writePrompts(ctx.dir, 'earlier.txt', prompts(2, 'old'));
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const old = [earlier, '-o', out, ...batchArgs()];
    expect((await runCli(old)).code).toBe(0);
    const batchId = JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')).chunks[0].batchId;
    const creates = ctx.server.batchState.counts.creates;
    holding = true;
    const { child, exited: killed } = await duringUpload([input, '-o', out, ...batchArgs(), '--overwrite']);
    child.kill('SIGKILL');
    await killed;
    holding = false;
    expectOldRows(out);
    const status = await runCli(['status', out, '--base-url', ctx.server.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(batchId);
    expect((await runCli(['cancel', out, '--base-url', ctx.server.url])).code).toBe(0);
    // A setting the resume records but does not compare rewrites the meta: still its own state.
    const resumed = await runCli([...old, '--resume', '--max-tokens', '50']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/2 already done/);
    expect(ctx.server.batchState.counts.creates).toBe(creates);
    expectOldRows(out);
    // Its own command, run again, plans afresh.
    const again = await runCli([input, '-o', out, ...batchArgs(), '--overwrite']);
    expect(again.code, again.stderr).toBe(0);
    expectNewRows(out);
  });

  it('of the same command, stopped during its upload after an input error row replaced the results: its --resume goes on with its own plan', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, uploadHold: () => holding };
    const input = path.join(ctx.dir, 'in.jsonl');
    fs.writeFileSync(
      input,
      `${prompts(3)
        .map((p) => JSON.stringify({ prompt: p }))
        .join('\n')}\n{not json\n`,
    );
    const out = path.join(ctx.dir, 'out.jsonl');
    const run = [input, '-o', out, ...batchArgs()];
    holding = false;
    expect((await runCli(run)).code).toBe(1);
    const creates = ctx.server.batchState.counts.creates;
    holding = true;
    const { interrupt, exited } = await duringUpload([...run, '--overwrite']);
    await interrupt();
    holding = false;
    const stopped = await exited;
    expect(stopped.code, stopped.stderr).toBe(130);
    // The input error's row replaced the old results: the state is this run's plan, not the old one.
    expect(rowsOf(out)).toHaveLength(1);
    const printed = /nothing was submitted yet \(1 batch waits to be created from its uploaded file\); to try again, run: llm-batch (.*)$/m.exec(
      stopped.stderr,
    )?.[1];
    expect(printed).toMatch(/ --resume$/);
    const resumed = await runCli(printed!.split(' '));
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(ctx.server.batchState.counts.creates).toBe(creates + 1);
    expect(rowsOf(out).filter((row) => row.response)).toHaveLength(3);
  });

  it("killed while planning, after an input error row replaced the results: the old run's state went with them", async () => {
    ctx.server.options.batches = { stepMs: 20 };
    const earlier = writePrompts(ctx.dir, 'earlier.txt', prompts(2, 'old'));
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([earlier, '-o', out, ...batchArgs()])).code).toBe(0);
    const oldKey = JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')).runKey;
    // A long input to plan: its first line is an input error, whose row replaces the old results at once.
    const input = path.join(ctx.dir, 'in.jsonl');
    fs.writeFileSync(input, `{not json\n${Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ prompt: `p${i}` })).join('\n')}\n`);
    const child = spawnCli([input, '-o', out, ...batchArgs(), '--overwrite']);
    const killed = waitForExit(child);
    await until(() => rowsOf(out).some((row) => !prompts(2, 'old').includes(row.prompt)), 'the input error row');
    child.kill('SIGKILL');
    await killed;
    const state = fs.existsSync(`${out}.batch.json`) ? JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')) : undefined;
    expect(state?.runKey).not.toBe(oldKey);
  });

  it("killed during its upload over a live run's results, then kept them: no batch state is left for results that had none", async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, uploadHold: () => holding };
    const { input, out } = await earlierResults();
    const { child, exited: killed } = await duringUpload([input, '-o', out, ...batchArgs(), '--overwrite']);
    child.kill('SIGKILL');
    await killed;
    holding = false;
    const dead = `http://127.0.0.1:${await deadPort()}/v1`;
    expect((await runCli([input, '-o', out, ...batchArgs(), '--base-url', dead, '--overwrite'])).code).toBe(4);
    expectOldRows(out);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
  });
});
