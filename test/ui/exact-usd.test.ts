import { describe, expect, it } from 'vitest';
import { capUsd, exactUsd, usd } from '../../src/ui/number-format.js';

describe('exactUsd (budget figures to act on)', () => {
  it.each([
    [0, false, '$0.00'],
    [0.000015, false, '$0.000015'],
    [0.0000123456, false, '$0.000012'],
    [0.0000123456, true, '$0.000013'],
    [0.00000054, false, '$0.00000054'],
    [0.0028, false, '$0.0028'],
    [0.01, false, '$0.0100'],
    [0.04112, true, '$0.0412'],
    [0.99999, true, '$1.00'],
    // On the digits as they round: $0.00100 was shown for $0.000996.
    [0.000996, false, '$0.0010'],
    [0.000996, true, '$0.0010'],
    [100, false, '$100.00'],
    [1234.561, true, '$1,234.57'],
  ])('%d (up: %s) is %s', (x, up, text) => {
    expect(exactUsd(x, up)).toBe(text);
  });

  it('rounded up, it is never below the amount: a cap above it holds the amount', () => {
    for (const x of [0.000015, 0.0000088, 0.00411, 0.0123456, 3.2]) expect(Number(exactUsd(x, true).replace(/[$,]/g, ''))).toBeGreaterThanOrEqual(x);
  });
});

describe('usd and exactUsd round alike', () => {
  it.each([0.00575, 0.01235, 0.123449, 0.99995, 1.005, 2.675, 0.0012345])('%d', (x) => {
    expect(usd(x)).toBe(exactUsd(x));
  });

  it('$0.00575 is $0.0058 in the summary as on the budget line', () => {
    expect(usd(0.00575)).toBe('$0.0058');
  });
});

describe('usd (estimates)', () => {
  // Four decimals from $0.0001 showed $0.000144 as `$0.0001`, one digit beside a smaller `$0.000096`;
  // at the edge, $0.000996 was `$0.00100` where $0.001 is `$0.0010`.
  it.each([
    [0.000096, '$0.000096'],
    [0.000144, '$0.00014'],
    [0.00075, '$0.00075'],
    [0.000996, '$0.0010'],
    [0.001, '$0.0010'],
    [0.0012, '$0.0012'],
    [0.0123, '$0.0123'],
  ])('%d is %s: two significant digits at least', (x, text) => {
    expect(usd(x)).toBe(text);
  });
});

describe('capUsd: a --max-cost as the user gave it', () => {
  it('keeps the digits exactUsd would round away, and shows the rest as exactUsd does', () => {
    expect(capUsd(0.00126)).toBe('$0.00126');
    expect(capUsd(0.0013)).toBe('$0.0013');
    expect(capUsd(12.345)).toBe('$12.345');
    expect(capUsd(5)).toBe('$5.00');
    expect(capUsd(1234.5)).toBe('$1,234.50');
    expect(capUsd(0.000051)).toBe('$0.000051');
    // The shortest decimal of the cap, grouped as exactUsd groups: no binary noise.
    expect(capUsd(123456.789)).toBe('$123,456.789');
    expect(capUsd(99999999.999)).toBe('$99,999,999.999');
    expect(capUsd(1234.5678)).toBe('$1,234.5678');
  });
});
