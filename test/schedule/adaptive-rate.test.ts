import { describe, expect, it } from 'vitest';
import { AdaptiveRate } from '../../src/schedule/adaptive-rate.js';
import { TimeWindow } from '../../src/schedule/time-window.js';

describe('AdaptiveRate reading a limit from a burst of 429s', () => {
  /**
   * A server accepting 60 requests a second; 100 requests leave 1 ms apart and each 429 comes back
   * 20 ms after its request. When the burst is recognised, the last ~20 requests are still in
   * flight (refused, but not yet known to be): counting them as accepted would read ~80.
   */
  it('takes what was sent before the first refused request as the limit, not what is still in flight', () => {
    const rate = new AdaptiveRate({ initial: 1000, ceiling: Number.POSITIVE_INFINITY });
    const RTT_429 = 20;
    const verdicts: string[] = [];
    const refusals: number[] = [];
    for (let t = 0; t < 100 + RTT_429; t++) {
      if (t < 100) {
        rate.rate(t);
        rate.noteSent(t);
        if (t >= 60) refusals.push(t);
      }
      while (refusals.length && refusals[0]! + RTT_429 <= t) verdicts.push(rate.noteRateLimited(refusals.shift()!, t));
    }
    expect(verdicts).toContain('learned');
    // decrease (0.9) x the limit read: 54 for a reading of 60; the in-flight count would give ~72.
    expect(rate.rate(120)).toBeCloseTo(54, 5);
  });

  it('leaves out refusals from an earlier episode that fall in the reading window', () => {
    const rate = new AdaptiveRate({ initial: 1000, ceiling: Number.POSITIVE_INFINITY, holdOffMs: 100 });
    for (let t = 0; t < 20; t++) rate.noteSent(t);
    expect(rate.noteRateLimited(10, 11)).toBe('cut'); // a stray 429: no reading
    for (let t = 200; t < 260; t++) rate.noteSent(t);
    // A burst for requests sent from 240 on (the first refused one): 20 + 40 sent before it, one refused.
    const verdicts = [240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259].map((s) => rate.noteRateLimited(s, 260));
    expect(verdicts).toContain('learned');
    expect(rate.rate(260)).toBeCloseTo(0.9 * (20 + 40 - 1), 5);
  });
});

describe('TimeWindow', () => {
  it('counts entries strictly between two times and lists those after one', () => {
    const w = new TimeWindow(1000);
    for (const t of [1, 2, 2, 3, 5, 8]) w.push(t);
    expect(w.countBetween(1, 5)).toBe(3); // 2, 2, 3
    expect(w.countBetween(0, 9)).toBe(6);
    expect(w.countBetween(8, 100)).toBe(0);
    expect(w.since(2)).toEqual([3, 5, 8]);
    w.push(1004); // 1, 2, 2, 3 leave the span
    expect(w.count(1004)).toBe(3);
    expect(w.countBetween(0, 2000)).toBe(3);
  });
});
