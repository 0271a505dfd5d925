import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { othersCanWrite } from '../../src/util/others-can-write.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-others-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const asRoot = process.geteuid?.() === 0;

const dir = (name: string, mode: number) => {
  const at = path.join(root, name);
  fs.mkdirSync(at, { recursive: true });
  fs.chmodSync(at, mode);
  return at;
};

describe.skipIf(process.platform === 'win32')('othersCanWrite: whether another user could change a cache directory', () => {
  it('a directory of ours under /tmp (sticky), made or not yet: none could', () => {
    const own = dir('own', 0o700);
    expect(othersCanWrite(own)).toBeUndefined();
    expect(othersCanWrite(path.join(own, '.cache', 'llm-batch'))).toBeUndefined();
  });

  it('writable by every user without the sticky bit, as the directory or a parent: said, naming it', () => {
    const open = dir('open', 0o777);
    expect(othersCanWrite(open)).toBe(`${fs.realpathSync(open)} is writable by every user`);
    expect(othersCanWrite(path.join(open, 'home', '.cache', 'llm-batch'))).toBe(`${fs.realpathSync(open)} is writable by every user`);
    // Sticky, as /tmp is: others may add names, not take ours away.
    const shared = dir('shared', 0o1777);
    expect(othersCanWrite(path.join(shared, '.cache', 'llm-batch'))).toBeUndefined();
  });

  it('group-writable: by our own group only (the private group a umask of 002 gives ~/.cache)', () => {
    const group = dir('group', 0o770);
    expect(othersCanWrite(group)).toBeUndefined();
    if (asRoot) {
      fs.chownSync(group, 0, 4242);
      expect(othersCanWrite(group)).toBe(`${fs.realpathSync(group)} is writable by its group (gid 4242)`);
    }
  });

  it.skipIf(!asRoot)("another user's directory on the way (a shared HOME's .cache): said, and through a link too", () => {
    const shared = dir('home', 0o1777);
    const theirs = dir('home/.cache', 0o700);
    fs.chownSync(theirs, 65534, 65534);
    expect(othersCanWrite(path.join(theirs, 'llm-batch'))).toBe(`${fs.realpathSync(theirs)} belongs to another user (uid 65534)`);
    const link = path.join(root, 'link');
    fs.symlinkSync(theirs, link);
    expect(othersCanWrite(path.join(link, 'llm-batch'))).toBe(`${fs.realpathSync(theirs)} belongs to another user (uid 65534)`);
    expect(shared).toBeTruthy();
  });
});
