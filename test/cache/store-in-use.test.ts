import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeInUse } from '../../src/cache/store-in-use.js';
import { tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-store-in-use-');
afterAll(() => tmp.cleanup());

describe('storeInUse', () => {
  const lock = path.join(tmp.dir, 'answers-v2.lmdb-lock');
  fs.writeFileSync(lock, '');
  const ino = fs.statSync(lock).ino;
  const table = (lines: string[]) => {
    const file = path.join(tmp.dir, `locks-${Math.random()}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };

  it.each([
    ['a read lock on the lock file', [`1: POSIX  ADVISORY  READ 23640 fe:00:${ino} 0 0`], true],
    ['a waiter on it', [`2: -> POSIX  ADVISORY  WRITE 777 fe:00:${ino} 0 EOF`], true],
    ['locks on other files only', [`1: POSIX  ADVISORY  READ 23640 fe:00:${ino + 1} 0 0`, '2: FLOCK  ADVISORY  WRITE 9 00:1a:12 0 EOF'], false],
    ['no locks at all', [], false],
  ])('%s', (_what, lines, inUse) => {
    expect(storeInUse([lock], table(lines))).toBe(inUse);
  });

  it('no lock file: nothing has it open; no lock table to read: unknown', () => {
    expect(storeInUse([path.join(tmp.dir, 'none-lock')], table([]))).toBe(false);
    expect(storeInUse([lock], path.join(tmp.dir, 'no-such-table'))).toBeUndefined();
  });
});
