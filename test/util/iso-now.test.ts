import { describe, expect, it } from 'vitest';
import { isoNow } from '../../src/util/iso-now.js';

describe('isoNow', () => {
  it.each([
    0,
    1,
    9,
    10,
    99,
    100,
    999,
    1000,
    1001,
    Date.UTC(2026, 10, 30, 23, 59, 59, 999),
    Date.UTC(2026, 11, 1, 0, 0, 0, 7),
    -1,
    -1001,
    Date.UTC(12000, 0, 1, 0, 0, 0, 42),
  ])('formats %d as toISOString does', (ms) => {
    expect(isoNow(ms)).toBe(new Date(ms).toISOString());
  });

  it('stays right across seconds, in any order', () => {
    const base = Date.UTC(2026, 10, 30, 10, 0, 0, 0);
    for (const offset of [0, 5, 999, 1000, 17, 2500, 1999, 61_000, 3]) {
      expect(isoNow(base + offset)).toBe(new Date(base + offset).toISOString());
    }
  });

  it('formats a fractional time as toISOString does', () => {
    expect(isoNow(1234.5)).toBe(new Date(1234.5).toISOString());
  });

  it('defaults to now', () => {
    const before = Date.now();
    const stamp = Date.parse(isoNow());
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });
});
