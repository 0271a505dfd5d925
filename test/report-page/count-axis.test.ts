import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import { fromZero } from '../../src/report-page/count-axis.js';

describe('the count and share axes of the report charts (histogram, time chart, comparison)', () => {
  it.each([
    ['bins of 100 and 101 answers', 100, 101],
    ['a 30,000-row file’s bins', 1028, 1029],
    ['one bin of 3', 3, 3],
    ['shares of answers', 0.12, 0.35],
    ['a bucket with none', 0, 7],
  ])('%s: from 0 to a little above the highest', (_name, min, max) => {
    const [lo, hi] = fromZero({} as uPlot, min, max, 'y');
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(max);
    expect(hi).toBeLessThanOrEqual(max * 1.35);
  });

  it('with nothing to show (all 0, no data), still a range with room', () => {
    for (const max of [0, null as unknown as number]) expect(fromZero({} as uPlot, 0, max, 'y')).toEqual([0, expect.any(Number)]);
    expect(fromZero({} as uPlot, 0, 0, 'y')[1]).toBeGreaterThan(0);
  });
});
