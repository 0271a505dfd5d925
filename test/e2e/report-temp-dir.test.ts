/**
 * `--report` on a run whose rows cannot be read back from its output (stdout, a device, a FIFO) keeps
 * a copy of them in a folder of the temp dir. Through the BUILT CLI with TMPDIR a folder of the
 * test's own: whatever ends the run (its report written or not, an output it cannot write, an input
 * with no prompts), nothing is left there; nor by `llm-batch report` of a results file it refuses.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const root = tempDir('llm-batch-report-tmp-');
afterAll(() => root.cleanup());
let dir = '';
let tmp = '';
let caseNo = 0;
beforeEach(() => {
  dir = path.join(root.dir, `case-${++caseNo}`);
  tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
});

const run = (args: readonly string[]) => runCli(args, { env: { TMPDIR: tmp }, cwd: dir });
const leftInTmp = () => fs.readdirSync(tmp);

describe('the temporary copy of a --report run', () => {
  it('is removed once the report is written (-o -)', async () => {
    writePrompts(dir, 'p.txt', ['one', 'two']);
    const r = await run(['p.txt', '--mock', '--report', 'r.html', '-o', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/report of 2 rows written to r\.html/);
    expect(leftInTmp()).toEqual([]);
  });

  it('an input with no prompts into a new -o: "no rows to report", not the unmade output\'s ENOENT (exit 5)', async () => {
    fs.writeFileSync(path.join(dir, 'empty.txt'), '');
    const r = await run(['empty.txt', '--mock', '--report', 'r.html', '-o', 'new.jsonl']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^llm-batch: no prompts in empty\.txt /),
      'llm-batch: no rows to report: the input held no prompts',
    ]);
    expect(fs.existsSync(path.join(dir, 'new.jsonl')) || fs.existsSync(path.join(dir, 'r.html'))).toBe(false);
    expect(leftInTmp()).toEqual([]);
  });

  it('is removed when the report cannot be written (exit 2)', async () => {
    writePrompts(dir, 'p.txt', ['one']);
    const r = await run(['p.txt', '--mock', '--report', path.join(dir, 'no-such-dir', 'r.html'), '-o', '-']);
    expect(r.code).toBe(2);
    expect(leftInTmp()).toEqual([]);
  });

  it.skipIf(!fs.existsSync('/dev/full'))('is removed when the run stops on an output it cannot write (-o /dev/full, exit 2)', async () => {
    writePrompts(dir, 'p.txt', ['one', 'two', 'three']);
    const r = await run(['p.txt', '--mock', '--report', 'r.html', '-o', '/dev/full']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: Cannot write to output \/dev\/full: ENOSPC/);
    expect(leftInTmp()).toEqual([]);
  });

  it('--batch-api into a FIFO: removed when the input holds no prompts (exit 5), and after a report', async () => {
    // A FIFO with a reader, as a user's `mkfifo rows.jsonl; cat rows.jsonl &` would be; ended after the run.
    const fifo = (name: string) => {
      execFileSync('mkfifo', [path.join(dir, name)]);
      return spawn('cat', [path.join(dir, name)], { stdio: ['ignore', 'ignore', 'ignore'] });
    };

    fs.writeFileSync(path.join(dir, 'empty.txt'), '');
    const cat = fifo('none.jsonl');
    const empty = await run(['empty.txt', '--mock', '--batch-api', '--poll', '0.05', '--report', 'r.html', '-o', 'none.jsonl']);
    cat.kill();
    expect(empty.code, empty.stderr).toBe(5);
    expect(leftInTmp()).toEqual([]);

    writePrompts(dir, 'p.txt', ['one', 'two']);
    const cat2 = fifo('rows.jsonl');
    const full = await run(['p.txt', '--mock', '--batch-api', '--poll', '0.05', '--report', 'r.html', '-o', 'rows.jsonl']);
    cat2.kill();
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toMatch(/report of 2 rows written to r\.html/);
    expect(leftInTmp()).toEqual([]);
  });
});

describe.skipIf(!fs.existsSync('/proc/self/ns/pid'))('a --report run killed outright (kill -9, the OOM killer)', () => {
  const ns = () => JSON.stringify([os.hostname(), fs.readlinkSync('/proc/self/ns/pid')]);
  /** A folder as a run of `pid` leaves it, its maker's pid namespace in `owner`. */
  const leftBy = (pid: number, owner: string | undefined, suffix = 'AbC123') => {
    const folder = path.join(tmp, `llm-batch-report-${pid}-${suffix}`);
    fs.mkdirSync(folder);
    if (owner !== undefined) fs.writeFileSync(path.join(folder, 'owner'), owner);
    fs.writeFileSync(path.join(folder, 'rows.jsonl'), '{"id":"1"}\n');
    return path.basename(folder);
  };

  it("leaves its copy; the next --report run removes it, and only the folders of this host's and namespace's runs that are gone", async () => {
    // Reading a stdin still open, the run has made its copy's folder and waits.
    const killed = spawnCli(['-', '--mock', '--report', 'r.html', '-o', '-'], { env: { TMPDIR: tmp }, cwd: dir, openStdin: 'first\n' });
    const ended = waitForExit(killed);
    await until(() => leftInTmp().length === 1, 'the run to make its copy');
    killed.kill('SIGKILL');
    await ended;
    const [left] = leftInTmp();
    expect(left).toMatch(new RegExp(`^llm-batch-report-${killed.pid}-`));

    const live = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const gone = spawnSync(process.execPath, ['-e', '']).pid!;
      const otherHost = JSON.stringify(['another-host', fs.readlinkSync('/proc/self/ns/pid')]);
      const kept = [
        leftBy(live.pid!, ns()),
        leftBy(gone, JSON.stringify([os.hostname(), 'pid:[1]'])),
        leftBy(gone, otherHost, 'NfS456'),
        leftBy(gone + 1, undefined),
      ].sort();
      const removed = leftBy(gone, ns(), 'XyZ789');
      expect(leftInTmp()).toContain(removed);
      writePrompts(dir, 'p.txt', ['one']);
      const r = await run(['p.txt', '--mock', '--report', 'r2.html', '-o', '-']);
      expect(r.code, r.stderr).toBe(0);
      expect(leftInTmp().sort()).toEqual(kept);
    } finally {
      live.kill();
    }
  });
});

describe('llm-batch report of a results file it cannot use', () => {
  it.each([
    ['malformed JSON', 'bad.jsonl', '{"id":1,\n', /bad\.jsonl:1: not a result row/],
    ['a row without an id', 'noid.jsonl', '{}\n', /noid\.jsonl:1: not a result row \(missing "id"\)/],
  ])('%s: refused (exit 2), nothing left in the temp dir or beside the file', async (_what, name, text, message) => {
    fs.writeFileSync(path.join(dir, name), text);
    const r = await run(['report', name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(leftInTmp()).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual([name, 'tmp']);
  });
});

describe('a TMPDIR that is missing or cannot be written (a cron job under env -i, a locked-down service)', () => {
  it('the copy is kept beside the report instead, and removed: the report is written, exit 0; a summary says so', async () => {
    writePrompts(dir, 'p.txt', ['one', 'two']);
    const r = await runCli(['p.txt', '--mock', '--report', 'r.html', '-o', 'rows.txt', '--summary-json', 's.json'], {
      env: { TMPDIR: path.join(dir, 'no-such-tmp') },
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/report of 2 rows written to r\.html/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 's.json'), 'utf8'))).toMatchObject({ ok: 2, exitCode: 0 });
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.llm-batch-report-'))).toEqual([]);
  });

  it('--report /dev/stdout with no TMPDIR to keep the copy in: refused before anything is sent, in one line, exit 2', async () => {
    writePrompts(dir, 'p.txt', ['one']);
    const r = await runCli(['p.txt', '--mock', '--report', '/dev/stdout', '-o', '/dev/null', '--summary-json', 's.json'], {
      env: { TMPDIR: path.join(dir, 'no-such-tmp') },
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^llm-batch: --report \/dev\/stdout: the rows go to no results file .* set TMPDIR to a writable directory, or write the rows with -o FILE\.jsonl\n$/,
    );
    expect(r.stderr).not.toMatch(/internal error|mkdtemp/);
  });
});
