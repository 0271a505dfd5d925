import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRowsStdout } from '../../src/cli/rows-stdout.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-rows-stdout-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('isRowsStdout', () => {
  const rows = path.join(dir, 'rows.jsonl');
  fs.writeFileSync(rows, '');
  const fd = fs.openSync(rows, 'a'); // stands for `> rows.jsonl`
  afterAll(() => fs.closeSync(fd));
  const toStdout = { kind: 'stdout' };

  it.each(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1'])('%s while the rows go to stdout: yes, by name', (file) => {
    expect(isRowsStdout(file, toStdout, undefined)).toBe(true);
    expect(isRowsStdout(file, { kind: 'file', path: '/dev/stdout' }, undefined)).toBe(true);
  });

  it('the file stdout is redirected to, by any name (a hard link too): yes', () => {
    fs.linkSync(rows, path.join(dir, 'hard.jsonl'));
    expect(isRowsStdout(rows, toStdout, fd)).toBe(true);
    expect(isRowsStdout(path.join(dir, 'hard.jsonl'), toStdout, fd)).toBe(true);
  });

  it('another file, /dev/null, or rows going to a file: no', () => {
    expect(isRowsStdout(path.join(dir, 'summary.json'), toStdout, fd)).toBe(false);
    expect(isRowsStdout('/dev/null', toStdout, fd)).toBe(false);
    expect(isRowsStdout('/dev/stdout', { kind: 'file', path: rows }, fd)).toBe(false);
    expect(isRowsStdout(rows, { kind: 'terminal' }, fd)).toBe(false);
  });
});
