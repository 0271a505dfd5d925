import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupDigits } from '../../src/util/group-digits.js';
import { count, exactUsd, rate, usd } from '../../src/ui/number-format.js';

const icu = (x: number, d: number) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

describe('groupDigits (en-US digits without ICU)', () => {
  it.each([
    [0, 0, '0'],
    [999, 0, '999'],
    [1000, 0, '1,000'],
    [1234567, 0, '1,234,567'],
    [-1234567, 0, '-1,234,567'],
    [-0, 0, '-0'],
    [-0.04, 1, '-0.0'],
    [0.05, 1, '0.1'],
    [38.25, 1, '38.3'],
    [999.95, 1, '1,000.0'],
    [1234.5, 2, '1,234.50'],
    // ICU rounds the shortest decimal (1.005), not the binary value (1.00499…) as toFixed does.
    [1.005, 2, '1.01'],
    [-1.005, 2, '-1.01'],
    [2.675, 2, '2.68'],
    [999999.995, 2, '1,000,000.00'],
    [1.5e-7, 2, '0.00'],
    [5e-7, 6, '0.000001'],
    [1e20, 0, '100,000,000,000,000,000,000'],
    [Number.POSITIVE_INFINITY, 0, '∞'],
    [Number.NaN, 1, 'NaN'],
  ])('%d with %d decimals is %s', (x, d, text) => {
    expect(groupDigits(x, d)).toBe(text);
  });

  it('writes what toLocaleString("en-US") writes, across magnitudes, halves and signs', () => {
    const xs: number[] = [];
    for (let e = -8; e <= 20; e++) for (const m of [1, 1.5, 2.675, 4.5, 9.995, 9.9999, 1.005, 3.33333]) xs.push(m * 10 ** e, -m * 10 ** e);
    for (let i = 0; i < 400; i++) xs.push(i / 8, i * 1.005, i * 0.015, (i * 7919) % 100003);
    const wrong = xs.flatMap((x) => [0, 1, 2, 4].filter((d) => groupDigits(x, d) !== icu(x, d)).map((d) => `${x} (${d}): ${groupDigits(x, d)} ≠ ${icu(x, d)}`));
    expect(wrong).toEqual([]);
  });
});

describe('number-format', () => {
  afterEach(() => vi.restoreAllMocks());

  it('formats counts, rates and dollars as before: 1,234,567 · 38.2 · $1,234.57', () => {
    expect([count(0), count(999), count(1000), count(1234567.4), count(-1234.6), count(2.5)]).toEqual(['0', '999', '1,000', '1,234,567', '-1,235', '3']);
    expect([rate(0), rate(38.24), rate(1234.56)]).toEqual(['0.0', '38.2', '1,234.6']);
    expect([usd(1234.561), exactUsd(1234.561, true)]).toEqual(['$1,234.56', '$1,234.57']);
  });

  it('never calls toLocaleString (its first call loads ICU: ~20 ms of every run)', () => {
    const spy = vi.spyOn(Number.prototype, 'toLocaleString');
    count(1234567);
    rate(38.25);
    usd(1234.5);
    exactUsd(99.5);
    groupDigits(1e9, 2);
    expect(spy).not.toHaveBeenCalled();
  });
});
