import { afterEach, describe, expect, it, vi } from 'vitest';
import { processIo } from '../../src/cli/io.js';

describe('processIo', () => {
  const own = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  afterEach(() => Object.defineProperty(process, 'stdin', own));

  it('makes process.stdin on first use, not before: --help and --version never read it (issue 16)', () => {
    const stdin = { isTTY: false };
    const made = vi.fn(() => stdin);
    Object.defineProperty(process, 'stdin', { get: made, configurable: true, enumerable: true });
    const io = processIo();
    expect(made).not.toHaveBeenCalled();
    expect(io.stdin).toBe(stdin);
    expect(made).toHaveBeenCalledTimes(1);
  });
});
