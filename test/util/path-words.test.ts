import { describe, expect, it } from 'vitest';
import { pathProblem, readProblem } from '../../src/util/path-words.js';

const errno = (code: string, message = `${code}: raw words, open '/x'`) => Object.assign(new Error(message), { code });

describe('a path problem in words a cron mail reader can act on', () => {
  it.each([
    ['EACCES', 'permission denied'],
    ['ENOTDIR', 'a part of the path is a file, not a directory'],
    // Node's own text repeated the path and named the syscall: "EROFS: read-only file system, access '…'".
    ['EROFS', 'a read-only file system'],
    ['ENOSPC', 'no space left on the device'],
    ['EDQUOT', 'over the disk quota'],
  ])('%s', (code, said) => {
    expect(pathProblem(errno(code))).toBe(said);
  });

  it("anything else keeps node's words; a read adds its own two", () => {
    expect(pathProblem(errno('EXDEV', 'EXDEV: cross-device link'))).toBe('EXDEV: cross-device link');
    expect(readProblem(errno('ENOENT'))).toBe('no such file');
    expect(readProblem(errno('EISDIR'))).toBe('is a directory');
  });
});
