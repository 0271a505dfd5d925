import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { MAX_TIMER_MS, timerDelay } from '../../src/util/timer-delay.js';
import { systemClock } from '../../src/util/clock.js';

const DAY_MS = 86_400_000;

describe('timerDelay', () => {
  it.each([
    [-5, 0],
    [Number.NaN, 0],
    [0, 0],
    [1500, 1500],
    [MAX_TIMER_MS, MAX_TIMER_MS],
    [30 * DAY_MS, MAX_TIMER_MS],
    [Number.POSITIVE_INFINITY, MAX_TIMER_MS],
  ])('%d ms → %d ms', (ms, expected) => {
    expect(timerDelay(ms)).toBe(expected);
  });
});

describe('systemClock.sleep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // A Retry-After of a month: Node (and the fake timers, which copy it) would fire after 1 ms.
  it('a wait longer than a timer holds lasts the longest one, not 1 ms', async () => {
    let done = false;
    void systemClock.sleep(30 * DAY_MS).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS - 1000);
    expect(done).toBe(true);
  });
});
