import { describe, expect, it } from 'vitest';
import { WindowBudget } from '../../src/schedule/window-budget.js';

describe('WindowBudget', () => {
  it('never lets a window of admissions exceed its capacity, and fills it (no request of slack held back)', () => {
    const w = new WindowBudget(1000, 1000);
    const admitted: Array<{ t: number; cost: number }> = [];
    let now = 0;
    for (let i = 0; i < 200; i++) {
      const cost = 50 + (i % 7) * 20;
      now += w.delay(cost, now);
      w.admit(cost, now);
      admitted.push({ t: now, cost });
    }
    let fullest = 0;
    for (const a of admitted) {
      const sum = admitted.filter((b) => b.t > a.t - 1000 && b.t <= a.t).reduce((n, b) => n + b.cost, 0);
      expect(sum).toBeLessThanOrEqual(1000);
      fullest = Math.max(fullest, sum);
    }
    expect(fullest).toBeGreaterThan(1000 - 170); // within one request of full
  });

  it('admits a request larger than the capacity once the window is empty, and alone', () => {
    const w = new WindowBudget(100, 1000);
    w.admit(60, 0);
    expect(w.delay(500, 10)).toBe(990);
    expect(w.delay(500, 1000)).toBe(0);
    w.admit(500, 1000);
    expect(w.delay(1, 1500)).toBe(500);
  });

  it('waits only until enough of the oldest charges have left the window', () => {
    const w = new WindowBudget(30_000, 61_000);
    for (let i = 0; i < 29; i++) w.admit(1010, i * 2000);
    expect(w.used(56_000)).toBe(29 * 1010);
    expect(w.delay(1010, 58_000)).toBe(3000); // the charge made at 0 leaves at 61 s
    expect(w.delay(500, 58_000)).toBe(0);
  });
});
