import { describe, expect, it } from 'vitest';
import { Gcra } from '../../src/schedule/gcra.js';

/** Admits `n` requests as early as the limiter allows, starting at `from`. */
function admitAll(g: Gcra, n: number, from = 0, cost = 1): number[] {
  let now = from;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    now += g.delay(cost, now);
    g.admit(cost, now);
    times.push(now);
  }
  return times;
}

describe('Gcra', () => {
  it('admits one request at once, then spaces them by cost / rate (no burst at start)', () => {
    expect(admitAll(new Gcra(10, 0), 5)).toEqual([0, 100, 200, 300, 400]);
  });

  it('keeps its schedule from slots, so a late admission does not lower the rate', () => {
    const g = new Gcra(10, 8);
    g.admit(1, 0);
    expect(g.delay(1, 0)).toBe(100); // no head start on the first admission
    g.admit(1, 105); // 5 ms late
    expect(g.delay(1, 105)).toBe(95); // the next slot is still at 200
  });

  it('after idling, lets only one request through at once', () => {
    const g = new Gcra(100, 8);
    g.admit(1, 10);
    const now = 10_000;
    let admitted = 0;
    while (g.delay(1, now) === 0) {
      g.admit(1, now);
      admitted++;
    }
    expect(admitted).toBe(1);
  });

  it.each([
    { rate: 60, tolerance: 8 },
    { rate: 10, tolerance: 8 },
    { rate: 600, tolerance: 8 },
  ])('never admits more than rate in any 1 s window (rate $rate/s)', ({ rate, tolerance }) => {
    const g = new Gcra(rate * 0.98, tolerance);
    const times = admitAll(g, rate * 5);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j]! <= times[i]! - 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(rate);
  });

  it('weights admissions by cost (a token budget)', () => {
    const g = new Gcra(1000, 0); // 1000 tokens/s
    expect(admitAll(g, 3, 0, 500)).toEqual([0, 500, 1000]);
  });

  it('a refund long after the last admission does not push the timeline forward', () => {
    const g = new Gcra(1000, 8);
    g.admit(100, 0);
    g.adjust(0);
    g.adjust(-20);
    expect(g.delay(100, 500)).toBe(0);
  });

  it('adjust() charges or refunds cost after the fact', () => {
    const g = new Gcra(1000, 0);
    g.admit(100, 0);
    expect(g.delay(100, 0)).toBe(100);
    g.adjust(50);
    expect(g.delay(100, 0)).toBe(150);
    g.adjust(-100);
    expect(g.delay(100, 0)).toBe(50); // a refund brings the next admission forward
  });
});
