import { describe, expect, it } from 'vitest';
import { fmt } from '../../src/report-page/format.js';
import { duration, usd } from '../../src/ui/number-format.js';

describe('the report page formats durations with rounding that carries', () => {
  it.each([
    [119.999, '2m 00s'],
    [59.96, '1m 00s'],
    [9.999, '10.0 s'],
    [8.254, '8.25 s'],
    [42.44, '42.4 s'],
    [61, '1m 01s'],
    [3599.6, '1h 00m'],
    [7199.9, '2h 00m'],
    [3725, '1h 02m'],
  ])('%s s → %s', (s, text) => {
    expect(fmt.duration(s)).toBe(text);
  });

  it.each([
    [999.6, '1.00 s'],
    [999.4, '999 ms'],
    [59_999.9, '1m 00s'],
    [1234, '1.23 s'],
  ])('%s ms → %s', (ms, text) => {
    expect(fmt.ms(ms)).toBe(text);
  });
});

describe('the terminal formats durations with rounding that carries', () => {
  it.each([
    [119.999, true, '2m00s'],
    [59.96, true, '1m00s'],
    [59.2, false, '1m00s'],
    [58.2, false, '59s'],
    [12.34, true, '12.3s'],
    [3599.7, false, '1h00m'],
  ])('%s s (precise %s) → %s', (s, precise, text) => {
    expect(duration(s, precise)).toBe(text);
  });
});

describe('the report page formats money as the terminal summary does', () => {
  // The summary's figures (test/ui/summary.test.ts) and the page's must read alike: a user compares them.
  it.each([0, 0.00004, 0.00005, 0.000051, 0.0000001234, 0.00123, 0.0098, 0.01234, 0.5, 0.99999, 12.345, 1234.5])('%d', (x) => {
    expect(fmt.usd(x)).toBe(usd(x));
  });

  it.each([
    [0.00005, '$0.000050'],
    [0.00123, '$0.0012'],
    [1234.5, '$1,234.50'],
  ])('%d → %s', (x, text) => {
    expect(fmt.usd(x)).toBe(text);
  });

  it('shows a missing figure as a dash', () => {
    expect(fmt.usd(null)).toBe('–');
    expect(fmt.usd(undefined)).toBe('–');
  });
});

describe('the report page says when a time bucket starts, to its precision, in UTC as the axis', () => {
  const at = Date.parse('2026-12-03T15:36:07.250Z');
  it.each([
    [100, '2026-12-03 15:36:07.2 UTC'],
    [250, '2026-12-03 15:36:07.25 UTC'],
    [1000, '2026-12-03 15:36:07 UTC'],
    [15_000, '2026-12-03 15:36:07 UTC'],
    [60_000, '2026-12-03 15:36 UTC'],
    [3_600_000, '2026-12-03 15:36 UTC'],
    [86_400_000, '2026-12-03 UTC'],
  ])('a %s ms bucket → %s', (bucketMs, text) => {
    expect(fmt.bucket(at, bucketMs)).toBe(text);
  });
});

describe('the report page gives shares to a tenth of a per cent', () => {
  it.each([
    [3998, 4000, '99.9 %'],
    [1, 10_000, '0.1 %'],
    [4000, 4000, '100 %'],
    [0, 4000, '0 %'],
    [1, 3, '33.3 %'],
    [1, 0, '–'],
  ])('%d of %d: %s (a share that is not all, or none, never reads as either)', (n, of, shown) => {
    expect(fmt.pct(n, of)).toBe(shown);
  });
});
