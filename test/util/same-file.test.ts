import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sameFile } from '../../src/util/same-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-same-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

fs.writeFileSync(at('a.txt'), 'a');
fs.writeFileSync(at('b.txt'), 'a');
fs.symlinkSync('a.txt', at('sym.txt'));
fs.linkSync(at('a.txt'), at('hard.txt'));
fs.symlinkSync('not-yet.jsonl', at('dangling.jsonl'));
fs.mkdirSync(at('real'));
fs.symlinkSync('real', at('linked-dir'));

describe('sameFile', () => {
  it.each([
    ['the same name', 'a.txt', 'a.txt'],
    ['the same name spelt differently', 'a.txt', 'real/../a.txt'],
    ['a symlink', 'sym.txt', 'a.txt'],
    ['a hard link', 'hard.txt', 'a.txt'],
    ['a symlink and a hard link to one file', 'sym.txt', 'hard.txt'],
    ['a dangling symlink and its (missing) target', 'dangling.jsonl', 'not-yet.jsonl'],
    ['a missing file in a linked directory and in its target', 'linked-dir/x.json', 'real/x.json'],
  ])('%s: one file', (_name, a, b) => {
    expect(sameFile(at(a), at(b))).toBe(true);
    expect(sameFile(at(b), at(a))).toBe(true);
  });

  it.each([
    ['two files of the same contents', 'a.txt', 'b.txt'],
    ['a symlink and another file', 'sym.txt', 'b.txt'],
    ['two missing files', 'x.json', 'y.json'],
    ['a dangling symlink and an existing file', 'dangling.jsonl', 'a.txt'],
  ])('%s: two files', (_name, a, b) => {
    expect(sameFile(at(a), at(b))).toBe(false);
  });

  it('two names of one terminal or pipe are not a file to clobber', () => {
    expect(sameFile('/dev/stdout', '/dev/stderr')).toBe(false);
    expect(sameFile('/dev/null', '/dev/null')).toBe(true); // the same name still is
  });
});
