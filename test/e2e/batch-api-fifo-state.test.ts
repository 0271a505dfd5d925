/**
 * `llm-batch status` and `cancel` on the state a --batch-api run with `-o FIFO` left beside its
 * FIFO. The FIFO's reader is gone by then: opening it would wait forever for one.
 * The BUILT CLI against the mock server's Batch API, in bash as a user's shell line runs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runShell, sigtermOnceSaid } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-fifo-state-');
const runShellIn = (script: string, timeoutMs = 20_000) => runShell(script, ctx.dir, {}, timeoutMs);

/** A --no-wait run into a FIFO whose reader then leaves: its batch pending on the server. */
async function pendingRunIntoFifo(): Promise<void> {
  ctx.server.options.batches = { stepMs: 20, hold: () => true };
  fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
  execFileSync('mkfifo', [path.join(ctx.dir, 'rows.jsonl')]);
  const r = await runShellIn(
    `cat rows.jsonl > got.jsonl & $LLM p.txt --base-url ${ctx.server.url} --no-cache --batch-api --no-wait -q -o rows.jsonl; rc=$?; wait; exit $rc`,
  );
  expect(r.code, r.stderr).toBe(75);
  expect(fs.existsSync(path.join(ctx.dir, 'rows.jsonl.batch.json'))).toBe(true);
}

describe('status and cancel of a --batch-api run whose -o is a FIFO, with no reader', () => {
  it('status reads the state file only: one line per batch, exit 0, no hang', async () => {
    await pendingRunIntoFifo();
    const r = await runShellIn(`$LLM status rows.jsonl --base-url ${ctx.server.url}`);
    expect(r.signal, 'status hung').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/batch_/);
  });

  it('cancel with nobody reading the FIFO: refused at once, one line, exit 2; nothing cancelled, no lock left', async () => {
    await pendingRunIntoFifo();
    const r = await runShellIn(`$LLM cancel rows.jsonl --base-url ${ctx.server.url} --poll 0.05`);
    expect(r.signal, 'cancel hung').toBeNull();
    expect(r.stderr).toBe(
      'llm-batch: rows.jsonl is a FIFO with nobody reading it, and the answers the batches finished go there: start its reader (e.g. cat rows.jsonl > rest.jsonl &) and cancel again; nothing was cancelled\n',
    );
    expect(r.code).toBe(2);
    expect(ctx.server.batchState.counts.cancels).toBe(0);
    expect(fs.existsSync(path.join(ctx.dir, 'rows.jsonl.lock'))).toBe(false);
  });

  it('cancel with a reader: the batch is cancelled and its rows reach the reader, exit 0', async () => {
    await pendingRunIntoFifo();
    const r = await runShellIn(`cat rows.jsonl > rest.jsonl & $LLM cancel rows.jsonl --base-url ${ctx.server.url} --poll 0.05; rc=$?; wait; exit $rc`);
    expect(r.signal, 'cancel hung').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.batchState.counts.cancels).toBe(1);
    const rows = fs
      .readFileSync(path.join(ctx.dir, 'rest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { prompt: string });
    expect(rows.map((row) => row.prompt).sort()).toEqual(['q1', 'q2']);
  });
});

describe('--batch-api --resume into a FIFO whose batches are all collected', () => {
  it('is refused before anything is sent (exit 2): it cannot skip what its reader got, and would pay for every prompt again', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    execFileSync('mkfifo', [path.join(ctx.dir, 'rows.jsonl')]);
    // The state an earlier run into the FIFO left once it had collected its one batch.
    const chunk = { n: 1, model: 'gpt-4o-mini', file: 'chunk-00001.jsonl', lines: 2, bytes: 10, status: 'completed', batchId: 'batch_1', collected: true };
    fs.writeFileSync(path.join(ctx.dir, 'rows.jsonl.batch.json'), JSON.stringify({ version: 1, runKey: 'k', planned: true, inputErrors: 0, chunks: [chunk] }));
    // A reader, as the user's; ended after the run, whether or not the run opened the FIFO.
    const r = await runShellIn(
      `cat rows.jsonl > got.jsonl & w=$!; $LLM p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 -o rows.jsonl --resume; rc=$?; kill $w 2>/dev/null; exit $rc`,
    );
    expect(r.signal, 'the run hung').toBeNull();
    expect(r.stderr).toBe(
      'llm-batch: rows.jsonl is a FIFO, whose rows cannot be read back, and every batch rows.jsonl.batch.json lists is collected: a --resume cannot know which prompts were answered and would send (and bill) every one again; nothing was sent. To send the whole input again, pass --overwrite in place of --resume\n',
    );
    expect(r.code).toBe(2);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
    expect(fs.existsSync(path.join(ctx.dir, 'rows.jsonl.lock'))).toBe(false);
  });
});

describe('--batch-api --max-cost into a FIFO', () => {
  it('budget reached once rows reached the reader: no --resume command (it would be refused), exit 3', async () => {
    ctx.server.options.batches = { stepMs: 20 };
    // $0.0005 a token at the Batch price: q1's worst case fits $0.05, the long line's is above it.
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), `q1\n${'long '.repeat(40)}\n`);
    execFileSync('mkfifo', [path.join(ctx.dir, 'rows.jsonl')]);
    const r = await runShellIn(
      `cat rows.jsonl > got.jsonl & w=$!; timeout -s KILL 15 $LLM p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 --price 1000/1000 --max-tokens 20 --max-cost 0.05 --summary-json s.json -o rows.jsonl; rc=$?; wait $w; exit $rc`,
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /budget reached: .*every answered row went to the FIFO's reader; a FIFO's rows cannot be read back, so no --resume can submit the rest without sending every prompt again\n/,
    );
    expect(r.stderr).not.toMatch(/--resume --max-cost|NEW_USD|to finish the rest/);
    expect(JSON.parse(fs.readFileSync(path.join(ctx.dir, 's.json'), 'utf8'))).toMatchObject({ stopped: 'budget', resumeHint: null });
    expect(fs.readFileSync(path.join(ctx.dir, 'got.jsonl'), 'utf8')).toMatch(/"prompt":"q1"/);
    expect(ctx.server.batchState.counts.uploads).toBe(1);
  });
});

describe('--batch-api into a FIFO with nobody reading it', () => {
  it('uploads nothing until a reader comes, says so; SIGTERM ends the wait: exit 130, no hang', async () => {
    ctx.server.options.batches = { stepMs: 20 };
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    const fifo = path.join(ctx.dir, 'rows.jsonl');
    execFileSync('mkfifo', [fifo]);
    // The FIFO's open once held a thread of libuv's pool, and then no signal ended the run.
    const args = [path.join(ctx.dir, 'p.txt'), '--base-url', ctx.server.url, '--no-cache', '--batch-api', '--poll', '0.05', '-o', fifo];
    const r = await sigtermOnceSaid(args, /nobody reading it/, 'the wait for a reader to be said');
    expect(r.signal, 'the run hung').toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`llm-batch: nobody opened ${fifo} for reading: no prompt was sent\n`);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
    expect(fs.existsSync(`${fifo}.lock`)).toBe(false);
  });
});
