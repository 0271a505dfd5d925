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
import { runCli, runShell, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
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

  it('live: a lock held by an overlapping run: the refused run leaves that run\'s "running" summary; the running one then writes its own', async () => {
    writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const release = holdAnswers(ctx.server);
    const running = spawnCli(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q', '--base-url', ctx.server.url, '--no-cache'], { cwd: ctx.dir });
    const exited = waitForExit(running);
    try {
      // Its requests are being held: it has the lock.
      await expect.poll(() => ctx.server.requests.length, { timeout: 20_000 }).toBeGreaterThan(0);
      const refused = await run(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q', '--resume']);
      expect(refused.code).toBe(75);
      expect(refused.stderr).toMatch(/out\.jsonl\.lock/);
      // The next cron tick's refusal: the summary is the running run's, which a kill -9 of it would leave.
      expect(summary()).toMatchObject({ stopped: 'running', exitCode: null });
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

describe('--summary-json after a refusal of the flags themselves', () => {
  const REFUSALS = [
    ['a missing template file', ['p.txt', '-t', '@prompt.tmpl'], /--template @prompt\.tmpl: no such file/],
    ['an input extension it cannot read', ['a.md'], /cannot tell the format of a\.md/],
    ['an output extension it cannot write', ['p.txt', '-o', 'x.json'], /-o x\.json: llm-batch writes/],
    ['an empty --system', ['p.txt', '-s', ''], /--system is empty/],
    ['an empty --stop', ['p.txt', '--stop', ''], /--stop is empty/],
    ['a --param a flag sets', ['p.txt', '--param', 'model=x'], /--param model: use -m/],
    ['an unknown --reasoning-effort', ['p.txt', '--reasoning-effort', 'ultra'], /--reasoning-effort must be/],
    ['--resume into a text output', ['p.txt', '-o', 'tx.txt', '--resume'], /--resume needs a \.jsonl or \.csv output/],
    [
      '--max-cost with --finish-live',
      ['p.txt', '--batch-api', '--finish-live', '--max-cost', '1', '-o', 'b.jsonl'],
      /--max-cost does not work with --finish-live/,
    ],
  ] as const;

  it.each(REFUSALS)('%s: the earlier summary is replaced by one that says so', async (_name, args, error) => {
    writePrompts(ctx.dir, 'p.txt', ['a']);
    fs.writeFileSync(path.join(ctx.dir, 'a.md'), 'a\n');
    const first = await run(['p.txt', '-o', 'out.jsonl', '--summary-json', 's.json', '-q']);
    expect(first.code, first.stderr).toBe(0);
    expect(summary()).toMatchObject({ ok: 1, stopped: null });

    const refused = await run([...args, '--summary-json', 's.json']);
    expect(refused.code).toBe(2);
    expect(stderrLines(refused)).toEqual([`llm-batch: ${summary().error}`]);
    expect(summary()).toMatchObject({ ok: 0, requests: 0, stopped: 'refused', exitCode: 2, error: expect.stringMatching(error), input: args[0] });
  });

  it('a new path is made; a file of another kind, the input or a file beside the output is left as it was', async () => {
    writePrompts(ctx.dir, 'p.txt', ['a']);
    const fresh = await run(['p.txt', '-t', '@nope.tmpl', '--summary-json', 's.json']);
    expect(fresh.code).toBe(2);
    expect(summary()).toMatchObject({ stopped: 'refused', exitCode: 2, error: '--template @nope.tmpl: no such file' });

    fs.writeFileSync(path.join(ctx.dir, 'notes.json'), 'my notes\n');
    fs.writeFileSync(path.join(ctx.dir, 'out.jsonl.meta.json'), '{"ok":1,"failed":0,"requests":1,"wallSeconds":1,"failedByType":{}}\n');
    for (const file of ['notes.json', 'p.txt', 'out.jsonl.meta.json']) {
      const before = fs.readFileSync(path.join(ctx.dir, file), 'utf8');
      const r = await run(['p.txt', '-t', '@nope.tmpl', '-o', 'out.jsonl', '--summary-json', file, '--overwrite']);
      expect(r.code).toBe(2);
      expect(fs.readFileSync(path.join(ctx.dir, file), 'utf8')).toBe(before);
    }
    // Nor a -s @ file (empty, so it would pass for a summary's).
    fs.writeFileSync(path.join(ctx.dir, 'empty.txt'), '');
    const own = await run(['p.txt', '-s', '@empty.txt', '--reasoning-effort', 'ultra', '--summary-json', 'empty.txt']);
    expect(own.code).toBe(2);
    expect(fs.readFileSync(path.join(ctx.dir, 'empty.txt'), 'utf8')).toBe('');
  });

  it('the file stdout is redirected to, where the rows go: left empty (the refusal is a line on stderr)', async () => {
    writePrompts(ctx.dir, 'p.txt', ['a']);
    for (const [args, rows] of [
      ['--summary-json /dev/stdout', 'rows.jsonl'],
      ['--summary-json same.jsonl', 'same.jsonl'],
      ['-o - --summary-json /dev/stdout', 'dash.jsonl'],
    ] as const) {
      const r = await runShell(`$LLM p.txt --mock --no-cache ${args} > ${rows}`, ctx.dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is stdout, where the result rows go/);
      expect(fs.readFileSync(path.join(ctx.dir, rows), 'utf8')).toBe('');
    }
    // Rows in a file of their own: the refusal's summary does go to the file stdout is redirected to.
    fs.writeFileSync(path.join(ctx.dir, 'taken.jsonl'), '{"id":"1"}\n');
    const refused = await runShell('$LLM p.txt --mock --no-cache -o taken.jsonl --summary-json /dev/stdout > s2.json', ctx.dir);
    expect(refused.code, refused.stderr).toBe(2);
    expect(JSON.parse(fs.readFileSync(path.join(ctx.dir, 's2.json'), 'utf8'))).toMatchObject({ stopped: 'refused', exitCode: 2 });
  });
});
