/**
 * A --batch-api run that a run-level error stops once it may send (the endpoint unreachable, the key
 * refused, the quota gone, a batch the server refuses), before or after its first batch, still
 * replaces --summary-json: `"stopped"` says why (`unreachable`, `auth`, `quota`, `error`), `error`
 * is the stderr line, `exitCode` the exit code, the counts are what was collected (as many rows as
 * the output holds), and `resumeHint` / `pendingBatches` (on the server) / `unsubmittedBatches` (built,
 * never submitted) say how to go on. A cron wrapper's
 * `jq .stopped s.json` never reads yesterday's summary as today's.
 * The BUILT CLI against the mock server's Batch API and a port nothing listens on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPort } from '../helpers/dead-port.js';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, SECRET_KEY, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-batch-error-summary-');

/** What yesterday's run left: a summary that must not survive today's stop. */
const YESTERDAY = { ok: 9, failed: 0, failedByType: {}, requests: 9, wallSeconds: 1, stopped: null };

const paths = () => ({ input: path.join(ctx.dir, 'in.txt'), out: path.join(ctx.dir, 'out.jsonl'), summary: path.join(ctx.dir, 's.json') });
const summaryOf = () => JSON.parse(fs.readFileSync(paths().summary, 'utf8'));
const rowsIn = (file: string) => (fs.existsSync(file) ? parseJsonl(fs.readFileSync(file, 'utf8')).length : 0);

async function runStopped(baseUrl: string, prompts: readonly string[], extra: readonly string[] = []) {
  const { input, out, summary } = paths();
  writePrompts(ctx.dir, 'in.txt', prompts);
  fs.writeFileSync(summary, JSON.stringify(YESTERDAY));
  const args = [input, '-o', out, '--base-url', baseUrl, '--batch-api', '--poll', '0.05', '--no-cache', '--summary-json', summary, ...extra];
  return runCli(args, { timeoutMs: 30_000 });
}

describe('--batch-api --summary-json when a run-level error stops the run', () => {
  it('unreachable before any batch exists (exit 4): "stopped": "unreachable", and the resume command', async () => {
    const r = await runStopped(`http://127.0.0.1:${await deadPort()}/v1`, ['a', 'b', 'c'], ['-q']);
    expect(r.code, r.stderr).toBe(4);
    expect(summaryOf()).toMatchObject({
      stopped: 'unreachable',
      exitCode: 4,
      error: stderrLines(r)[0]!.replace(/^llm-batch: /, ''),
      ok: 0,
      failed: 0,
      // Its upload failed: built, never submitted, so not pending on the server.
      pendingBatches: 0,
      unsubmittedBatches: 1,
      resumeHint: expect.stringMatching(/^llm-batch .* --resume$/),
      input: paths().input,
    });
  });

  it('the key refused on the first upload (exit 2): "stopped": "auth", no key in it; the resume then finishes', async () => {
    ctx.server.options.batches = { stepMs: 20 };
    ctx.server.options.apiKey = 'sk-the-right-one';
    let r: Awaited<ReturnType<typeof runCli>>;
    try {
      r = await runStopped(ctx.server.url, ['a', 'b', 'c'], ['-q']);
    } finally {
      delete ctx.server.options.apiKey;
    }
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: the server rejected the API key .*; when that is fixed, run: llm-batch .* --resume$/)]);
    const text = fs.readFileSync(paths().summary, 'utf8');
    expect(text).not.toContain(SECRET_KEY);
    expect(JSON.parse(text)).toMatchObject({
      stopped: 'auth',
      exitCode: 2,
      error: stderrLines(r)[0]!.replace(/^llm-batch: /, ''),
      ok: 0,
      pendingBatches: 0,
      unsubmittedBatches: 1,
      resumeHint: expect.stringMatching(/ --resume$/),
    });

    const resumed = await runCli(summaryOf().resumeHint.split(' ').slice(1));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(summaryOf()).toMatchObject({ stopped: null, ok: 3, pendingBatches: 0 });
    expect(rowsIn(paths().out)).toBe(3);
  });

  it('the key refused after a batch was collected: the counts are the rows the output holds', async () => {
    const { out } = paths();
    // The second batch runs on; once the first one's rows are in, every poll gets a 401.
    ctx.server.options.batches = { stepMs: 20, hold: (i) => i === 1, retrieveStatus: () => (rowsIn(out) >= 2 ? 401 : undefined) };
    const r = await runStopped(ctx.server.url, ['a', 'b', 'c', 'd'], ['--batch-size', '2']);
    expect(r.code, r.stderr).toBe(2);
    expect(rowsIn(out)).toBe(2);
    expect(summaryOf()).toMatchObject({ stopped: 'auth', exitCode: 2, ok: 2, failed: 0, pendingBatches: 1, resumeHint: expect.stringMatching(/ --resume$/) });
  });

  it('the quota gone when creating a batch (exit 3): "stopped": "quota"', async () => {
    ctx.server.options.batches = { stepMs: 20, createQuota: () => true };
    const r = await runStopped(ctx.server.url, ['a', 'b']);
    expect(r.code, r.stderr).toBe(3);
    // The create was refused: no batch was made, so none is pending on the server (it said 1).
    expect(summaryOf()).toMatchObject({ stopped: 'quota', exitCode: 3, ok: 0, pendingBatches: 0, unsubmittedBatches: 1 });
  });

  it('a batch the server refuses (exit 2): "stopped": "error", the line naming it', async () => {
    ctx.server.options.batches = { stepMs: 20, validate: (_line, n) => (n === 2 ? 'bad line' : undefined) };
    const r = await runStopped(ctx.server.url, ['a', 'b', 'c']);
    expect(r.code, r.stderr).toBe(2);
    expect(summaryOf()).toMatchObject({
      stopped: 'error',
      exitCode: 2,
      error: expect.stringMatching(/was refused by the server \(1 problem\): line 2: bad line/),
      ok: 0,
      resumeHint: expect.stringMatching(/ --resume$/),
    });
  });
});
