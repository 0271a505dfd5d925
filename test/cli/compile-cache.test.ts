import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compileCacheDir, enableCompileCache } from '../../src/cli/compile-cache.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-compile-cache-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('enableCompileCache', () => {
  it('puts the cache in the user cache dir, under XDG_CACHE_HOME when set, made for the user alone', () => {
    const enable = vi.fn();
    const xdg = path.join(home, 'xdg');
    enableCompileCache({ XDG_CACHE_HOME: xdg }, enable);
    const dir = path.join(xdg, 'llm-batch', 'node-compile-cache');
    expect(enable).toHaveBeenCalledExactlyOnceWith(dir);
    expect(compileCacheDir({ XDG_CACHE_HOME: xdg })).toBe(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('never throws: a failing node call leaves the run to go on without a cache', () => {
    const enable = vi.fn(() => {
      throw new Error('EACCES');
    });
    expect(() => enableCompileCache({ XDG_CACHE_HOME: path.join(home, 'failing') }, enable)).not.toThrow();
    expect(enable).toHaveBeenCalledOnce();
  });

  it('a directory that cannot be made (under /proc): node is not asked, whose own mkdir would spin', () => {
    const enable = vi.fn();
    expect(() => enableCompileCache({ XDG_CACHE_HOME: '/proc/llm-batch-nope' }, enable)).not.toThrow();
    expect(enable).not.toHaveBeenCalled();
  });

  it.each([{ NODE_DISABLE_COMPILE_CACHE: '1' }, { NODE_COMPILE_CACHE: path.join(home, 'own') }])(
    'with %j it leaves the cache to node and makes no directory',
    (given) => {
      const enable = vi.fn();
      const xdg = path.join(home, `xdg-${Object.keys(given)[0]}`);
      enableCompileCache({ XDG_CACHE_HOME: xdg, ...given }, enable);
      expect(enable).not.toHaveBeenCalled();
      expect(fs.existsSync(xdg)).toBe(false);
    },
  );
});
