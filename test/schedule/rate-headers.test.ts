import { describe, expect, it } from 'vitest';
import { parseDuration, parseReset, rateLimitHeadersIn, readRateLimitHeaders, readRetryAfter, type HeaderSource } from '../../src/schedule/rate-headers.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['1s', 1000],
    ['250ms', 250],
    ['0s', 0],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['17ms', 17],
    ['1.5ms', 1.5],
    ['59.123s', 59_123],
    ['0.5', 500],
    ['20', 20_000],
    ['  3s  ', 3000],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '   ', 'junk', 's', 'ms', '1x', '1m30', '-1s', '1 s', '1s junk', 'junk 1s', '.5s', '1S', '1e3', 'Infinity', 'NaN', '1d'])(
    '%j → undefined',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('readRateLimitHeaders', () => {
  it('reads all six OpenAI headers', () => {
    const h = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '199000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(readRateLimitHeaders(h)).toEqual({
      limitRequests: 500,
      remainingRequests: 499,
      resetRequestsMs: 120,
      limitTokens: 200_000,
      remainingTokens: 199_000,
      resetTokensMs: 360_000,
    });
  });

  it('leaves absent, empty and malformed fields undefined', () => {
    const h = new Headers({
      'x-ratelimit-limit-requests': '',
      'x-ratelimit-remaining-requests': 'lots',
      'x-ratelimit-reset-requests': 'soon',
      'x-ratelimit-remaining-tokens': '0',
    });
    const r = readRateLimitHeaders(h);
    expect(r.limitRequests).toBeUndefined();
    expect(r.remainingRequests).toBeUndefined();
    expect(r.resetRequestsMs).toBeUndefined();
    expect(r.limitTokens).toBeUndefined();
    expect(r.remainingTokens).toBe(0); // zero is a value, not "absent"
    expect(r.resetTokensMs).toBeUndefined();
  });

  it('no headers at all gives an all-undefined record', () => {
    expect(Object.values(readRateLimitHeaders(new Headers()))).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('works with any { get } source, not only Headers', () => {
    const map = new Map([['x-ratelimit-limit-tokens', '1000']]);
    const source: HeaderSource = { get: (name) => map.get(name) ?? null };
    expect(readRateLimitHeaders(source).limitTokens).toBe(1000);
  });
});

describe('parseReset', () => {
  const NOW = Date.UTC(2026, 11, 2, 1, 40, 0);

  it.each<[string, number]>([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['12', 12_000],
    ['0.5', 500],
    [String(NOW / 1000 + 12), 12_000], // Unix seconds
    [String(NOW / 1000 - 60), 0], // a Unix time that has passed
    [String(NOW + 1500), 1500], // Unix milliseconds
    ['2026-12-02T01:40:30Z', 30_000],
    ['2026-12-02T01:40:30.500+00:00', 30_500],
  ])('%j → %d ms', (text, ms) => {
    expect(parseReset(text, NOW)).toBe(ms);
  });

  it.each(['', 'soon', '-1', '2026-12-02', '1d'])('%j → undefined', (text) => {
    expect(parseReset(text, NOW)).toBeUndefined();
  });

  it('reads both reset headers so', () => {
    const h = new Headers({ 'x-ratelimit-reset-requests': String(NOW / 1000 + 3), 'x-ratelimit-reset-tokens': '2026-12-02T01:40:01Z' });
    expect(readRateLimitHeaders(h, NOW)).toMatchObject({ resetRequestsMs: 3000, resetTokensMs: 1000 });
  });
});

describe('readRetryAfter', () => {
  const NOW = Date.UTC(2025, 0, 15, 12, 0, 0); // on a whole second: HTTP dates have 1 s precision

  it('retry-after-ms wins over retry-after and is precise', () => {
    const h = new Headers({ 'retry-after-ms': '1500', 'retry-after': '10' });
    expect(readRetryAfter(h, NOW)).toEqual({ ms: 1500, precise: true });
  });

  it('fractional retry-after-ms is kept', () => {
    expect(readRetryAfter(new Headers({ 'retry-after-ms': '12.5' }), NOW)).toEqual({ ms: 12.5, precise: true });
  });

  it('retry-after-ms 0 is a real (precise) zero', () => {
    expect(readRetryAfter(new Headers({ 'retry-after-ms': '0' }), NOW)).toEqual({ ms: 0, precise: true });
  });

  it.each([
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    ['120', 120_000],
  ])('retry-after seconds %j → %d ms, not precise', (value, ms) => {
    expect(readRetryAfter(new Headers({ 'retry-after': value }), NOW)).toEqual({ ms, precise: false });
  });

  it('retry-after as an HTTP date counts from now', () => {
    const at = new Date(NOW + 5000).toUTCString();
    expect(readRetryAfter(new Headers({ 'retry-after': at }), NOW)).toEqual({ ms: 5000, precise: false });
  });

  it('an HTTP date in the past means no wait', () => {
    const at = new Date(NOW - 60_000).toUTCString();
    expect(readRetryAfter(new Headers({ 'retry-after': at }), NOW)).toEqual({ ms: 0, precise: false });
  });

  it('junk or negative retry-after-ms falls back to retry-after', () => {
    expect(readRetryAfter(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '3' }), NOW)).toEqual({ ms: 3000, precise: false });
    expect(readRetryAfter(new Headers({ 'retry-after-ms': '-5', 'retry-after': '3' }), NOW)).toEqual({ ms: 3000, precise: false });
    expect(readRetryAfter(new Headers({ 'retry-after-ms': '', 'retry-after': '3' }), NOW)).toEqual({ ms: 3000, precise: false });
  });

  it('a header a proxy repeated (joined as "3, 3") is read once; copies that differ are no advice', () => {
    // Read as junk, the server's wait was ignored and the retries came on their own backoff.
    expect(
      readRetryAfter(
        new Headers([
          ['retry-after', '3'],
          ['retry-after', '3'],
        ]),
        NOW,
      ),
    ).toEqual({ ms: 3000, precise: false });
    expect(readRetryAfter(new Headers({ 'retry-after-ms': '200, 200' }), NOW)).toEqual({ ms: 200, precise: true });
    expect(readRetryAfter(new Headers({ 'retry-after': '3, 30' }), NOW)).toBeUndefined();
    expect(readRetryAfter(new Headers({ 'retry-after': '-1, -1' }), NOW)).toBeUndefined();
  });

  it('no retry headers → undefined', () => {
    expect(readRetryAfter(new Headers(), NOW)).toBeUndefined();
    expect(readRetryAfter(new Headers({ 'retry-after-ms': 'junk' }), NOW)).toBeUndefined();
  });

  // Junk must read as "no advice" (the caller then uses its own backoff), never as "retry at once".
  it.each(['soon', 'abc', '-1', '', '   ', 'soon 10', 'in 5'])('junk retry-after %j → undefined', (value) => {
    expect(readRetryAfter(new Headers({ 'retry-after': value }), NOW)).toBeUndefined();
  });
});

describe('rateLimitHeadersIn', () => {
  const headers = new Headers({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-reset-requests': '1s' });
  const asked: string[] = [];
  const source = (hasPrefix?: boolean): HeaderSource => ({
    get: (name) => {
      asked.push(name);
      return headers.get(name);
    },
    ...(hasPrefix === undefined ? {} : { hasPrefix: () => hasPrefix }),
  });

  it('asks for none of them where the source says no such header came', () => {
    asked.length = 0;
    expect(rateLimitHeadersIn(source(false))).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('reads them where it says some came, or cannot tell', () => {
    for (const hasPrefix of [true, undefined]) {
      expect(rateLimitHeadersIn(source(hasPrefix), 0)).toMatchObject({ limitRequests: 60, resetRequestsMs: 1000 });
    }
  });
});
