import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/util/make-dirs.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-mkdirs-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('makeDirs', () => {
  it('makes every missing parent, with the mode, and is happy when it exists', () => {
    const dir = path.join(root, 'a', 'b', 'c');
    makeDirs(dir, 0o700);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(root, 'a')).mode & 0o777).toBe(0o700);
    expect(() => makeDirs(dir)).not.toThrow();
  });

  it('fails with a code under a file', () => {
    const file = path.join(root, 'file');
    fs.writeFileSync(file, '');
    expect(() => makeDirs(path.join(file, 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('a symbolic link to nothing is named as one, with its target (mkdir says only EEXIST)', () => {
    const link = path.join(root, 'dangling');
    fs.symlinkSync('/nowhere/llm-batch', link);
    expect(() => makeDirs(path.join(link, 'sub'))).toThrow(
      expect.objectContaining({
        code: 'EEXIST',
        message: `cannot create directory ${link}: it is a symbolic link to /nowhere/llm-batch, which does not exist`,
      }),
    );
  });

  it.runIf(process.platform === 'linux')('fails at once where mkdir says ENOENT under a parent that exists (/proc), where recursive mkdir spins', () => {
    expect(() => makeDirs('/proc/llm-batch-nope/x')).toThrow(/cannot create directory \/proc\/llm-batch-nope \(ENOENT\)/);
  });
});
