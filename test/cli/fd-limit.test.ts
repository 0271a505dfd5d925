import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { concurrencyWithinFdLimit, fdLimitFor } from '../../src/cli/fd-limit.js';
import { openFileLimit } from '../../src/util/open-file-limit.js';

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

describe('fdLimitFor: the ulimit -n the lowered -c line advises', () => {
  it.each([17, 40, 48, 200, 1000, 100_000])('is enough for all of -c %i, and one less is not', (c) => {
    const limit = fdLimitFor(c);
    expect(concurrencyWithinFdLimit(c, () => limit)).toEqual({ concurrency: c });
    expect(concurrencyWithinFdLimit(c, () => limit - 1).concurrency).toBeLessThan(c);
  });

  it('is above the limit that lowered -c (advice that lowered it further was given before)', () => {
    const lowered = concurrencyWithinFdLimit(100_000, () => 20_000);
    expect(lowered.limit).toBe(20_000);
    expect(fdLimitFor(100_000)).toBeGreaterThan(20_000);
  });
});
