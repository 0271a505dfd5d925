/**
 * A report written where the path is not a plain file of its own: a FIFO, a symlink, /dev/null. The
 * HTML goes to what the path leads to, and the path stays what it was: renamed over, a FIFO or a
 * device would become a plain file (as root, `/dev/null` of every process on the machine). Through
 * the BUILT CLI (`--mock` runs, `llm-batch report`); /dev/null only as AS_USER, so that a regression
 * fails on permissions instead of replacing the machine's /dev/null.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AS_USER, BIN, runCli, runShell, tempDir, userCanRunCli, waitForExit, writePrompts } from '../helpers/run-cli.js';

const root = tempDir('llm-batch-report-targets-');
afterAll(() => root.cleanup());
let dir = '';
let caseNo = 0;
beforeEach(() => {
  dir = path.join(root.dir, `case-${++caseNo}`);
  fs.mkdirSync(dir, { recursive: true });
});

const MARK = /^<!doctype html>/i;

/** A results file of two rows, written by a --mock run. */
async function results(): Promise<string> {
  writePrompts(dir, 'p.txt', ['one', 'two']);
  const r = await runCli(['p.txt', '--mock', '-q', '-o', 'out.jsonl'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return path.join(dir, 'out.jsonl');
}

describe('a report into a FIFO', () => {
  it('llm-batch report -o FIFO: the reader gets the HTML and the FIFO stays a FIFO', async () => {
    await results();
    execFileSync('mkfifo', [path.join(dir, 'r.html')]);
    const r = await runShell('timeout 10 cat r.html > got.html & $LLM report out.jsonl -o r.html; rc=$?; wait; exit $rc', dir, {}, 20_000);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(path.join(dir, 'r.html')).isFIFO()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'got.html'), 'utf8')).toMatch(MARK);
  });

  it('a run with --report FIFO: the same', async () => {
    writePrompts(dir, 'p.txt', ['one', 'two']);
    execFileSync('mkfifo', [path.join(dir, 'r.html')]);
    const r = await runShell('timeout 10 cat r.html > got.html & $LLM p.txt --mock -q -o out.jsonl --report r.html; rc=$?; wait; exit $rc', dir, {}, 20_000);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(path.join(dir, 'r.html')).isFIFO()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'got.html'), 'utf8')).toMatch(MARK);
  });
});

describe('a report through a symlink', () => {
  it('llm-batch report -o latest.html (a link): the file it points to is replaced, the link stays', async () => {
    await results();
    fs.mkdirSync(path.join(dir, 'reports'));
    fs.writeFileSync(path.join(dir, 'reports', 'monday.html'), '');
    fs.symlinkSync(path.join('reports', 'monday.html'), path.join(dir, 'latest.html'));
    const r = await runCli(['report', 'out.jsonl', '-o', 'latest.html'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.lstatSync(path.join(dir, 'latest.html')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'reports', 'monday.html'), 'utf8')).toMatch(MARK);
    expect(fs.readdirSync(path.join(dir, 'reports'))).toEqual(['monday.html']);
  });

  it('a run with --report latest.html (a link): the same', async () => {
    writePrompts(dir, 'p.txt', ['one', 'two']);
    fs.writeFileSync(path.join(dir, 'monday.html'), '');
    fs.symlinkSync('monday.html', path.join(dir, 'latest.html'));
    const r = await runCli(['p.txt', '--mock', '-q', '-o', 'out.jsonl', '--report', 'latest.html'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.lstatSync(path.join(dir, 'latest.html')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'monday.html'), 'utf8')).toMatch(MARK);
  });
});

describe.skipIf(!userCanRunCli())('a report to /dev/null', () => {
  it('llm-batch report -o /dev/null and a run with --report /dev/null: exit 0, /dev/null still the device', async () => {
    const out = await results();
    // Readable by AS_USER (nobody, when the tests run as root).
    fs.chmodSync(root.dir, 0o755);
    fs.chmodSync(dir, 0o755);
    const asUser = (args: readonly string[]) =>
      waitForExit(
        spawn(process.execPath, [BIN, ...args], {
          ...AS_USER,
          cwd: '/',
          env: { PATH: process.env.PATH, HOME: '/', LLM_BATCH_CACHE_DIR: '/nonexistent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
        20_000,
      );
    const report = await asUser(['report', out, '-o', '/dev/null', '-q']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toBe('');
    const run = await asUser([path.join(dir, 'p.txt'), '--mock', '-q', '-o', '-', '--report', '/dev/null']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
