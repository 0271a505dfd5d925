import { beforeEach, describe, expect, it, vi } from 'vitest';

const set = vi.fn<(flags: string) => void>();
vi.mock('node:v8', () => ({ default: { setFlagsFromString: (flags: string) => set(flags) } }));

/** A fresh copy of the module: its record of changed flags is per process. */
const fresh = async () => {
  vi.resetModules();
  return import('../../src/util/v8-flags.js');
};

beforeEach(() => set.mockClear());

describe('withStartFlags', () => {
  it("loads with V8's flags as they started, then sets them back as they were", async () => {
    const { setV8Flag, withStartFlags } = await fresh();
    setV8Flag('--heap-growing-percent=100', '--heap-growing-percent=0');
    setV8Flag('--semi-space-growth-factor=2', '--semi-space-growth-factor=2');
    setV8Flag('--semi-space-growth-factor=1', '--semi-space-growth-factor=2');
    set.mockClear();
    const seen: string[][] = [];
    const loaded = withStartFlags(() => {
      seen.push(set.mock.calls.map(([flags]) => flags));
      return 'lmdb';
    });
    expect(loaded).toBe('lmdb');
    expect(seen).toEqual([['--heap-growing-percent=0', '--semi-space-growth-factor=2']]);
    expect(set.mock.calls.map(([flags]) => flags).slice(2)).toEqual(['--heap-growing-percent=100', '--semi-space-growth-factor=1']);
  });

  it('sets them back when the load throws', async () => {
    const { setV8Flag, withStartFlags } = await fresh();
    setV8Flag('--no-flush-bytecode', '--flush-bytecode');
    set.mockClear();
    expect(() =>
      withStartFlags(() => {
        throw new Error('no lmdb here');
      }),
    ).toThrow('no lmdb here');
    expect(set.mock.calls.map(([flags]) => flags)).toEqual(['--flush-bytecode', '--no-flush-bytecode']);
  });

  it('touches no flag when none was changed, or once they were put back for good', async () => {
    const { restoreV8Flags, setV8Flag, withStartFlags } = await fresh();
    expect(withStartFlags(() => 1)).toBe(1);
    expect(set).not.toHaveBeenCalled();
    setV8Flag('--heap-growing-percent=100', '--heap-growing-percent=0');
    restoreV8Flags();
    set.mockClear();
    expect(withStartFlags(() => 2)).toBe(2);
    expect(set).not.toHaveBeenCalled();
  });
});
