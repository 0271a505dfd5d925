import { describe, expect, it } from 'vitest';
import { WindowBudget } from '../../src/schedule/window-budget.js';

describe('WindowBudget', () => {
  it('never lets a window of admissions exceed its capacity, holding one request of slack', () => {
    const w = new WindowBudget(1000);
    const admitted: Array<{ t: number; cost: number }> = [];
    let now = 0;
    for (let i = 0; i < 200; i++) {
      const cost = 50 + (i % 7) * 20;
      now += w.delay(cost, now);
      w.admit(cost, now);
      admitted.push({ t: now, cost });
    }
    for (const a of admitted) {
      const sum = admitted.filter((b) => b.t > a.t - 1000 && b.t <= a.t).reduce((n, b) => n + b.cost, 0);
      expect(sum).toBeLessThanOrEqual(1000);
    }
    // ...and uses most of it: 200 requests of ~110 tokens at ~1000 tokens/s take ~20 s, not 40.
    expect(now).toBeLessThan(30_000);
  });

  it('admits a request larger than the capacity once the window is empty', () => {
    const w = new WindowBudget(100);
    w.admit(60, 0);
    expect(w.delay(500, 10)).toBe(990);
    expect(w.delay(500, 1000)).toBe(0);
  });
});
