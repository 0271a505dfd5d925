/**
 * A live run that a run-level error stops once it has sent (input from a pipe that turns out not to be
 * UTF-8 halfway: no read-ahead could see it) still replaces --summary-json, as a --batch-api run does:
 * `"stopped": "error"`, `error` the stderr line, `exitCode`, the counts of the rows the output holds,
 * and `resumeHint`. A cron wrapper's `jq .stopped s.json` never reads yesterday's summary as today's.
 * Stderr, which cron mails, gives the same `--resume` command, for a rejected key too, whose stop the
 * summary says as a --batch-api run's does: `exitCode` and `error`, the stderr line.
 * The BUILT CLI against the mock server, its prompts on a pipe that stays open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { SECRET_KEY, parseJsonl, runCli, runShell, spawnCli, waitForExit } from '../helpers/run-cli.js';
import { textSoFar, until } from '../helpers/until.js';
import { MAX_LINE_CHARS } from '../../src/input/read-lines.js';

const ctx = useServerAndCaseDir('llm-batch-live-error-summary-');

/** What yesterday's run left: a summary that must not survive today's stop. */
const YESTERDAY = { ok: 9, failed: 0, failedByType: {}, requests: 9, wallSeconds: 1, stopped: null };

describe('--summary-json of a live run stopped by a run-level error', () => {
  it('stdin turns out not to be UTF-8 after 3 answers: the summary counts them and says why, with the resume command', async () => {
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    fs.writeFileSync(summary, JSON.stringify(YESTERDAY));
    // textSoFar, not existsSync then read: the CLI's start-up probe makes and removes the output once.
    const rowsIn = () => parseJsonl(textSoFar(out)).length;
    const args = ['-o', out, '--input-format', 'txt', '--base-url', ctx.server.url, '--no-cache', '--summary-json', summary, '-q'];
    const child = spawnCli(args, { cwd: ctx.dir, openStdin: 'q1\nq2\nq3\n' });
    const exited = waitForExit(child, 30_000);
    // The bad byte comes once the first answers are written: the run has sent, and the rows are kept.
    await until(() => rowsIn() === 3, 'the first 3 rows');
    child.stdin!.end(Buffer.from('q4 caf\xe9\n', 'latin1'));
    const r = await exited;

    expect(r.code, r.stderr).toBe(2);
    const lines = stderrLines(r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^llm-batch: <stdin>:4: not valid UTF-8 \(byte 0xE9\)/);
    expect(rowsIn()).toBe(3);
    const written = JSON.parse(fs.readFileSync(summary, 'utf8'));
    // The line ends with the command the summary gives: cron mail is read, the JSON file often not.
    expect(lines[0]!.endsWith(`; when that is fixed, run: ${written.resumeHint}`), lines[0]).toBe(true);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(written).toMatchObject({
      ok: 3,
      failed: 0,
      requests: 3,
      stopped: 'error',
      exitCode: 2,
      error: lines[0]!.replace(/^llm-batch: /, ''),
      input: null,
      notRun: 0,
      resumeHint: expect.stringMatching(/ --resume {2}# with the same input on stdin$/),
    });
    expect(written.wallSeconds).toBeGreaterThan(0);
  });

  it('a file that turns out not to be UTF-8 past its read-ahead, two models: the model lines, and the summary line names the file', async () => {
    // The line went out without its input's name (the one stop of all that did) and without the lines per
    // model. Rows to stdout: with -o this file is checked whole before anything is sent, and refused.
    const input = path.join(ctx.dir, 'enc.txt');
    const good = Array.from({ length: 3000 }, (_, i) => `p ${i}\n`).join('');
    fs.writeFileSync(input, Buffer.concat([Buffer.from(good), Buffer.from('caf\xe9\n', 'latin1'), Buffer.from('more\n')]));
    const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache', '-m', 'ma,mb']);
    expect(r.code, r.stderr).toBe(2);
    const lines = stderrLines(r);
    const summaryLine = lines.find((line) => line.startsWith('llm-batch: stopped (error): '));
    expect(summaryLine, r.stderr).toMatch(/ · \S*\/enc\.txt$/);
    expect(
      lines.filter((line) => /^llm-batch: (ma|mb): 2,99\d ok, 0 failed/.test(line)),
      r.stderr,
    ).toHaveLength(2);
  });

  it('records read but not yet sent when the input turns bad: no row, counted in notRun; those sent finish with their rows', async () => {
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const release = holdAnswers(ctx.server);
    const args = ['-o', out, '--input-format', 'txt', '--base-url', ctx.server.url, '--no-cache', '--summary-json', summary, '-q', '-c', '1'];
    const child = spawnCli(args, { cwd: ctx.dir, openStdin: 'q1\nq2\nq3\n' });
    const exited = waitForExit(child, 30_000);
    // q1 in flight (its answer held), q2 and q3 read and waiting for the one slot; then the bad line.
    await until(() => ctx.server.requests.length === 1, 'the first request');
    child.stdin!.end(Buffer.from('q4 caf\xe9\n', 'latin1'), release);
    const r = await exited;

    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)[0]).toMatch(/^llm-batch: <stdin>:4: not valid UTF-8/);
    const rows = fs.existsSync(out) ? parseJsonl(fs.readFileSync(out, 'utf8')) : [];
    const written = JSON.parse(fs.readFileSync(summary, 'utf8'));
    // Every request sent got its row (q1 was answered after the stop), and every record read is a row or not run.
    expect(rows.map((row) => row.prompt)).toEqual(ctx.server.requests.map((q) => q.prompt));
    expect(rows[0]).toMatchObject({ prompt: 'q1', error: null });
    expect(written).toMatchObject({ stopped: 'error', ok: rows.length, failed: 0, notRun: 3 - rows.length });
    expect(written.notRun).toBeGreaterThanOrEqual(1);
  });

  it('a bad byte past the first 64 KB of a pipe: every record before its line is a row or counted in notRun', async () => {
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const args = ['-o', out, '--input-format', 'txt', '--base-url', ctx.server.url, '--no-cache', '--summary-json', summary, '-q'];
    const child = spawnCli(args, { cwd: ctx.dir, openStdin: '' });
    const exited = waitForExit(child, 30_000);
    // 300 lines of 305 bytes (~90 KB: two reads of the pipe), then a Latin-1 line 301 in the second.
    const lines = Array.from({ length: 300 }, (_, i) => `p${i} ${'y'.repeat(300)}\n`.slice(-305)).join('');
    child.stdin!.end(Buffer.concat([Buffer.from(lines), Buffer.from('caf\xe9\n', 'latin1')]));
    const r = await exited;

    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)[0]).toMatch(/^llm-batch: <stdin>:301: not valid UTF-8 \(byte 0xE9\)/);
    const written = JSON.parse(fs.readFileSync(summary, 'utf8'));
    expect(written).toMatchObject({ stopped: 'error', failed: 0 });
    expect(written.ok + written.notRun).toBe(300);
    expect(parseJsonl(fs.readFileSync(out, 'utf8'))).toHaveLength(written.ok);
  });

  it('a rejected key: stderr gives the --resume command the summary gives, and never the key', async () => {
    const input = path.join(ctx.dir, 'in.txt');
    fs.writeFileSync(input, 'k1\nk2\nk3\n');
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    ctx.server.options.apiKey = 'another-key';
    try {
      const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '--summary-json', summary, '-q', '-c', '1'], { cwd: ctx.dir });
      expect(r.code, r.stderr).toBe(2);
      const written = JSON.parse(fs.readFileSync(summary, 'utf8'));
      const lines = stderrLines(r);
      // As a --batch-api run's: the exit code, and the line that said why.
      expect(written).toMatchObject({ stopped: 'auth', ok: 0, notRun: 3, exitCode: 2, error: lines[0]!.replace(/^llm-batch: /, '') });
      expect(written.resumeHint).toMatch(/ --resume$/);
      expect(lines[0]).toMatch(/^llm-batch: the server rejected the API key/);
      expect(lines.at(-1)).toBe(`llm-batch: to finish the rest, run: ${written.resumeHint}`);
      expect(r.stderr + fs.readFileSync(summary, 'utf8')).not.toContain(SECRET_KEY);
    } finally {
      delete ctx.server.options.apiKey;
    }
  });

  it('a rejected key with requests in flight: they are refused too, not "cut off" with a cost unknown, and nothing is spent', async () => {
    const input = path.join(ctx.dir, 'in-flight.txt');
    fs.writeFileSync(input, 'held 1\nheld 2\n[[fault:401]] last\n');
    const summary = path.join(ctx.dir, 'in-flight.json');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    ctx.server.options.hold = (req) => (req.prompt.startsWith('held') ? gate : undefined);
    try {
      const out = path.join(ctx.dir, 'in-flight.jsonl');
      const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '--max-cost', '1', '--summary-json', summary, '-c', '3'], {
        cwd: ctx.dir,
      });
      expect(r.code, r.stderr).toBe(2);
      expect(ctx.server.requests.map((q) => q.prompt).sort()).toEqual(['[[fault:401]] last', 'held 1', 'held 2']);
      const line = stderrLines(r).find((l) => l.includes('stopped (auth)'));
      expect(line).toMatch(/0 tokens in \/ 0 out · est\. \$0\.00 /);
      expect(line).not.toMatch(/cut off|cost unknown/);
      expect(JSON.parse(fs.readFileSync(summary, 'utf8')).budget).toMatchObject({ spentUsd: 0 });
    } finally {
      delete ctx.server.options.hold;
      release();
    }
  });

  /** 300 lines of 305 bytes (~90 KB: past the first read), then a Latin-1 line 301. */
  const lateBad = () =>
    Buffer.concat([Buffer.from(Array.from({ length: 300 }, (_, i) => `p${i} ${'y'.repeat(300)}\n`.slice(-305)).join('')), Buffer.from('caf\xe9\n', 'latin1')]);

  it('a file read without -o that turns out not to be UTF-8: the summary line says what was answered and not, then the error line', async () => {
    const input = path.join(ctx.dir, 'late-bad.txt');
    fs.writeFileSync(input, lateBad());
    const summary = path.join(ctx.dir, 's.json');
    const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache', '--summary-json', summary], { cwd: ctx.dir });

    expect(r.code, r.stderr).toBe(2);
    const written = JSON.parse(fs.readFileSync(summary, 'utf8'));
    expect(written).toMatchObject({ stopped: 'error', failed: 0 });
    expect(written.ok + written.notRun).toBe(300);
    expect(parseJsonl(r.stdout)).toHaveLength(written.ok);
    const lines = stderrLines(r);
    expect(lines).toHaveLength(2);
    const notRun = written.notRun > 0 ? `, ${written.notRun} not run` : '';
    expect(lines[0]).toMatch(new RegExp(`^llm-batch: stopped \\(error\\): ${written.ok} ok, 0 failed${notRun} · `));
    expect(lines[1]).toMatch(/^llm-batch: .*late-bad\.txt:301: not valid UTF-8 \(byte 0xE9\)/);
  });

  it('stdin redirected from a file with -o FILE (`- < file`): checked whole before anything is sent, as a named file is', async () => {
    const input = path.join(ctx.dir, 'late-bad.txt');
    fs.writeFileSync(input, lateBad());
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const r = await runShell(`$LLM - -o out.jsonl --input-format txt --base-url ${ctx.server.url} --no-cache --summary-json s.json < late-bad.txt`, ctx.dir);

    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: <stdin>:301: not valid UTF-8 \(byte 0xE9\); if the file is Latin-1/)]);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'refused', ok: 0, exitCode: 2 });
    // A good file on stdin is read whole by the run all the same.
    fs.writeFileSync(input, 'g1\ng2\n');
    const good = await runShell(`$LLM - -o out.jsonl --input-format txt --base-url ${ctx.server.url} --no-cache -q < late-bad.txt`, ctx.dir);
    expect(good.code, good.stderr).toBe(0);
    expect(parseJsonl(fs.readFileSync(out, 'utf8')).map((row) => row.prompt)).toEqual(['g1', 'g2']);
  });

  it('stdin redirected from a file with -o FILE: a line too long deep in it is refused before anything is sent, too', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'long.txt'), Buffer.concat([Buffer.from('g1\ng2\n'), Buffer.alloc(MAX_LINE_CHARS + 1, 'a'), Buffer.from('\ng3\n')]));
    // No --input-format: the text tells the format (lines, not a JSON array), and the lines are checked all the same.
    const r = await runShell(`$LLM - -o out.jsonl --base-url ${ctx.server.url} --no-cache < long.txt`, ctx.dir);
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)).toEqual([`llm-batch: <stdin>:3: line is longer than ${MAX_LINE_CHARS} characters; is this the right file and format?`]);
    expect(ctx.server.requests).toHaveLength(0);
  });
});

describe('--summary-json of a run killed outright', () => {
  it.each([
    ['live', [] as string[]],
    ['--batch-api', ['--batch-api', '--poll', '0.05']],
  ])("%s, kill -9 while it sends: the summary says it was running, not yesterday's figures", async (_name, extra) => {
    // Nothing can write a summary after SIGKILL: the one written as the run began sending stays.
    const release = holdAnswers(ctx.server);
    if (extra.length) ctx.server.options.batches = { stepMs: 20, hold: () => true };
    try {
      const input = path.join(ctx.dir, 'in.txt');
      fs.writeFileSync(input, 'k1\nk2\n');
      const summary = path.join(ctx.dir, 's.json');
      fs.writeFileSync(summary, JSON.stringify({ ...YESTERDAY, exitCode: 0 }));
      const args = [input, '-o', path.join(ctx.dir, 'out.jsonl'), '--base-url', ctx.server.url, '--no-cache', '--summary-json', summary, '-q', ...extra];
      const child = spawnCli(args, { cwd: ctx.dir });
      const exited = waitForExit(child, 30_000);
      await until(() => ctx.server.requests.length > 0 || ctx.server.batchState.counts.creates > 0, 'the run to send');
      child.kill('SIGKILL');
      await exited;
      expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'running', exitCode: null, error: null, ok: 0, input });
    } finally {
      release();
      delete ctx.server.options.batches;
    }
  });
});
