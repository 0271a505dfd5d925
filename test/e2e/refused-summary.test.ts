/**
 * A run refused before anything is sent (output exists, lock held, no such input, a --batch-api state
 * to resume or overwrite) replaces an earlier --summary-json with one that says so (`"stopped":
 * "refused"`, `error`, `exitCode`, every count zero): a cron wrapper's `jq .failed s.json` reads this
 * invocation, never yesterday's figures. Through the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import type { RefusedSummary } from '../../src/cli/refused-summary.js';

const ctx = useServerAndCaseDir('llm-batch-refused-summary-');

const MODES = [
  ['live', [] as string[]],
  ['--batch-api', ['--batch-api', '--poll', '0.05']],
] as const;

const run = (args: readonly string[]) => runCli([...args, '--base-url', ctx.server.url, '--no-cache'], { cwd: ctx.dir });
const summary = () => JSON.parse(fs.readFileSync(path.join(ctx.dir, 's.json'), 'utf8')) as RefusedSummary;
const sent = () => ctx.server.requests.length + ctx.server.batchState.uploaded.length;

describe('--summary-json after a refusal', () => {
  it.each(MODES)('%s: output exists, then no such input: each refusal replaces the earlier summary with its own', async (_name, mode) => {
    ctx.server.options.batches = { stepMs: 20 };
    writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c']);
    const first = await run(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q', ...mode]);
    expect(first.code, first.stderr).toBe(0);
    expect(summary()).toMatchObject({ ok: 3, stopped: null });
    const before = sent();

    const again = await run(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q', ...mode]);
    expect(again.code).toBe(2);
    // The summary's error is the refusal's line (live: the output; --batch-api: its batches' state first).
    expect(stderrLines(again)).toEqual([`llm-batch: ${summary().error}`]);
    expect(summary()).toMatchObject({
      ok: 0,
      failed: 0,
      requests: 0,
      stopped: 'refused',
      exitCode: 2,
      error: expect.stringMatching(/^out\.jsonl(\.batch\.json)? (already exists|holds the batches of an earlier run): pass --resume/),
      input: 'p.txt',
      resumeHint: null,
    });

    const missing = await run(['nope.txt', '-o', 'other.jsonl', '--summary-json', 's.json', '-q', ...mode]);
    expect(missing.code).toBe(2);
    expect(summary()).toMatchObject({ stopped: 'refused', exitCode: 2, error: expect.stringMatching(/nope\.txt/), input: 'nope.txt' });
    expect(sent()).toBe(before);
  });

  it('live: a lock held by an overlapping run: the refused run says so; the running one then writes its own', async () => {
    writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const release = holdAnswers(ctx.server);
    const running = spawnCli(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q', '--base-url', ctx.server.url, '--no-cache'], { cwd: ctx.dir });
    const exited = waitForExit(running);
    try {
      // Its requests are being held: it has the lock.
      await expect.poll(() => ctx.server.requests.length, { timeout: 20_000 }).toBeGreaterThan(0);
      const refused = await run(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q', '--resume']);
      expect(refused.code).toBe(2);
      expect(summary()).toMatchObject({ stopped: 'refused', exitCode: 2, ok: 0, error: expect.stringMatching(/out\.jsonl\.lock/) });
    } finally {
      release();
    }
    const done = await exited;
    expect(done.code, done.stderr).toBe(0);
    expect(summary()).toMatchObject({ ok: 2, stopped: null });
  });

  it('a file that is not a summary is still refused and left as it was', async () => {
    writePrompts(ctx.dir, 'p.txt', ['a']);
    fs.writeFileSync(path.join(ctx.dir, 's.json'), 'my notes\n');
    const r = await run(['nope.txt', '-o', 'out.jsonl', '--summary-json', 's.json']);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(path.join(ctx.dir, 's.json'), 'utf8')).toBe('my notes\n');
  });
});
