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

  it("takes SIGTERM over from bin/'s holder without an instant where nobody listens (node's default would end the process)", () => {
    const early = { held: [] as NodeJS.Signals[], hold: () => {} };
    process.on('SIGTERM', early.hold);
    const counts: number[] = [];
    const off = process.off.bind(process);
    const spy = vi.spyOn(process, 'off').mockImplementation((event, listener) => {
      off(event, listener);
      counts.push(process.listenerCount('SIGTERM'));
      return process;
    });
    const handler = () => {};
    const before = process.listenerCount('SIGTERM');
    try {
      const stop = processIo(early).onSignal('SIGTERM', handler);
      expect(counts).toEqual([before]);
      expect(process.listeners('SIGTERM')).toContain(handler);
      expect(process.listeners('SIGTERM')).not.toContain(early.hold);
      stop();
    } finally {
      spy.mockRestore();
      process.off('SIGTERM', early.hold);
      process.off('SIGTERM', handler);
    }
  });
});
