import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { compileCacheDir, enableCompileCache } from '../../src/cli/compile-cache.js';

describe('enableCompileCache', () => {
  it('puts the cache in the user cache dir, under XDG_CACHE_HOME when set', () => {
    const enable = vi.fn();
    enableCompileCache({ XDG_CACHE_HOME: '/x/cache' }, enable);
    expect(enable).toHaveBeenCalledExactlyOnceWith(path.join('/x/cache', 'llm-batch', 'node-compile-cache'));
    expect(compileCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe(enable.mock.calls[0]![0]);
  });

  it('never throws: a failing node call leaves the run to go on without a cache', () => {
    const enable = vi.fn(() => {
      throw new Error('EACCES');
    });
    expect(() => enableCompileCache({}, enable)).not.toThrow();
    expect(enable).toHaveBeenCalledOnce();
  });
});
