import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOSED_RECORD, checked, forgetDeadMarks, identityOf, markOpen, needsCheck } from '../../src/cache/store-use-marks.js';

let dir: string;
const store = () => path.join(dir, 'answers-v2.lmdb');
/** A PID no process has: one that exited. */
const gonePid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-marks-'));
  fs.writeFileSync(store(), 'pages');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('needsCheck', () => {
  it('a store no process has recorded: checked (a file from before the records)', () => {
    expect(needsCheck(dir)).toBe(true);
  });

  it('as a clean close left it: not checked; changed since (edited, copied over, written by a process that did not record): checked', () => {
    markOpen(dir).close(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['answers-v2.lmdb', CLOSED_RECORD]);
    expect(needsCheck(dir)).toBe(false);
    fs.appendFileSync(store(), 'more');
    expect(needsCheck(dir)).toBe(true);
    checked(dir);
    expect(needsCheck(dir)).toBe(false);
    // A legacy file appearing changes the record too.
    fs.writeFileSync(path.join(dir, 'answers-v1.lmdb'), 'old');
    expect(needsCheck(dir)).toBe(true);
  });

  it("a mark whose process is gone: checked, however the record reads; checked() removes it and a live process's mark stays", () => {
    markOpen(dir).close(true);
    const dead = path.join(dir, `answers-v2.lmdb-open.${gonePid()}`);
    fs.writeFileSync(dead, '');
    expect(needsCheck(dir)).toBe(true);
    // The parent of this process is alive: its mark says the store is in use, and nothing is checked.
    const live = path.join(dir, `answers-v2.lmdb-open.${process.ppid}`);
    fs.writeFileSync(live, identityOf(process.ppid));
    expect(needsCheck(dir)).toBe(false);
    checked(dir);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });

  it("a live PID is no live run when the mark names another process (a container's PID 1) or none (made by hand)", () => {
    markOpen(dir).close(true);
    const other = path.join(dir, `answers-v2.lmdb-open.${process.ppid}`);
    fs.writeFileSync(other, `${identityOf(process.ppid)}0`);
    expect(needsCheck(dir)).toBe(true);
    fs.writeFileSync(other, '');
    expect(needsCheck(dir)).toBe(true);
    checked(dir);
    expect(fs.existsSync(other)).toBe(false);
  });

  it('two stores of one process in one directory: the mark stays until both are closed', () => {
    const mark = path.join(dir, `answers-v2.lmdb-open.${process.pid}`);
    const [a, b] = [markOpen(dir), markOpen(dir)];
    a.close(true);
    expect(fs.existsSync(mark)).toBe(true);
    expect(needsCheck(dir)).toBe(false);
    b.close(true);
    expect(fs.existsSync(mark)).toBe(false);
  });

  it("this process's PID on a mark it did not make is a process before it (PIDs repeat, in containers at once); one it made is live", () => {
    markOpen(dir).close(true);
    const own = path.join(dir, `answers-v2.lmdb-open.${process.pid}`);
    fs.writeFileSync(own, '');
    expect(needsCheck(dir)).toBe(true);
    forgetDeadMarks(dir);
    expect(fs.existsSync(own)).toBe(false);
    const mark = markOpen(dir);
    expect(fs.existsSync(own)).toBe(true);
    expect(needsCheck(dir)).toBe(false);
    forgetDeadMarks(dir);
    expect(fs.existsSync(own)).toBe(true);
    mark.close(true);
    expect(fs.existsSync(own)).toBe(false);
  });

  it('a close that met damage removes the record: the next opener checks', () => {
    markOpen(dir).close(true);
    expect(needsCheck(dir)).toBe(false);
    markOpen(dir).close(false);
    expect(fs.readdirSync(dir)).toEqual(['answers-v2.lmdb']);
    expect(needsCheck(dir)).toBe(true);
  });

  it('names that only look like marks are no marks', () => {
    markOpen(dir).close(true);
    for (const name of ['answers-v2.lmdb-open.', 'answers-v2.lmdb-open.12x', 'answers-v1.lmdb-open.1']) fs.writeFileSync(path.join(dir, name), '');
    expect(needsCheck(dir)).toBe(false);
  });

  it('a directory that takes no mark only goes unwatched', () => {
    const mark = markOpen(path.join(dir, 'no-such-dir'));
    expect(() => mark.close(true)).not.toThrow();
  });
});
