import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loopBusyShare, whenIdle } from '../../src/util/when-idle.js';

/** A busy share that reads the given shares in turn (the first call is whenIdle's baseline). */
const shares = (...values: number[]) => {
  const left = [0, ...values];
  return () => left.shift() ?? 0;
};

describe('whenIdle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs the task once, at the first poll the loop was mostly waiting', async () => {
    const task = vi.fn();
    whenIdle(task, { pollMs: 5, busyShare: shares(1, 0.6, 0.3, 0.1, 0) });
    await vi.advanceTimersByTimeAsync(15);
    expect(task).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(5);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(1);
  });

  it('never runs once cancelled, and keeps no timer that holds the process', async () => {
    const task = vi.fn();
    const cancel = whenIdle(task, { pollMs: 5, busyShare: shares(1, 1) });
    await vi.advanceTimersByTimeAsync(10);
    cancel();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(task).not.toHaveBeenCalled();
  });
});

describe('loopBusyShare', () => {
  it('measures a busy spell as busy and a wait as idle', async () => {
    const share = loopBusyShare();
    share();
    const until = performance.now() + 30;
    while (performance.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
    expect(share()).toBeGreaterThan(0.5);
    // A wait is idle, but another file's leftovers in this shared worker, or a loaded machine, can
    // make one 30 ms wait read busy (0.73 once in CI): the least of a few waits must read idle.
    let idle = 1;
    for (let i = 0; i < 5 && idle >= 0.5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      idle = Math.min(idle, share());
    }
    expect(idle).toBeLessThan(0.5);
  });
});
