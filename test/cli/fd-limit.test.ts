import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openFileLimit } from '../../src/cli/fd-limit.js';

describe('openFileLimit', () => {
  afterEach(() => vi.restoreAllMocks());

  it.runIf(process.platform === 'linux')('reads /proc/self/limits, and without it asks the shell (node:child_process, required on use)', () => {
    const fromProc = openFileLimit();
    expect(fromProc === undefined || fromProc > 0).toBe(true);
    vi.spyOn(fs, 'readFileSync').mockImplementation(() => {
      throw new Error('ENOENT: no /proc here');
    });
    expect(openFileLimit()).toBe(fromProc);
  });
});
