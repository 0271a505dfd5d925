import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRIES, isRetryable, retriesFor } from '../../src/schedule/retry-policy.js';
import type { ErrorType } from '../../src/types.js';

describe('isRetryable', () => {
  it.each<[ErrorType, number | undefined, boolean]>([
    ['rate_limit', 429, true],
    ['timeout', undefined, true],
    ['connection', undefined, true],
    ['bad_response', 200, true],
    ['http', 500, true],
    ['http', 502, true],
    ['http', 503, true],
    ['http', 504, true],
    ['http', 599, true],
    ['http', 408, true],
    ['http', 409, true],
    ['http', 498, true], // Groq's flex tier at capacity
    ['http', undefined, true], // an error event inside a stream: no status, worth another try
    ['http', 400, false],
    ['http', 404, false],
    ['http', 413, false],
    ['http', 422, false],
    ['auth', 401, false],
    ['auth', 403, false],
    ['quota', 429, false],
    ['input', undefined, false],
    ['aborted', undefined, false],
  ])('%s %s → %s', (type, status, expected) => {
    expect(isRetryable(type, status)).toBe(expected);
  });
});

describe('backoffDelay (exponential, full jitter)', () => {
  it('random() = 0 gives no wait at all', () => {
    for (const retry of [1, 2, 5, 20]) expect(backoffDelay(retry, undefined, { random: () => 0 })).toBe(0);
  });

  it.each([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [4, 4000],
    [6, 16_000],
    [7, 30_000], // 32 s capped at 30 s
    [12, 30_000],
  ])('retry %i: random() just under 1 gives just under the ceiling %i ms', (retry, ceiling) => {
    const d = backoffDelay(retry, undefined, { random: () => 0.999 });
    expect(d).toBeCloseTo(0.999 * ceiling, 6);
    expect(d).toBeLessThan(ceiling);
  });

  it('every delay lies in [0, ceiling) for any random draw', () => {
    for (let retry = 1; retry <= 12; retry++) {
      const ceiling = Math.min(30_000, 500 * 2 ** (retry - 1));
      for (const r of [0, 0.1, 0.5, 0.9, 0.999999]) {
        const d = backoffDelay(retry, undefined, { random: () => r });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });

  it('honours the cap even for absurd retry numbers (no Infinity / NaN)', () => {
    for (const retry of [50, 1100, 1e6]) {
      const d = backoffDelay(retry, undefined, { random: () => 0.999999 });
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });

  it('custom base and cap', () => {
    expect(backoffDelay(1, undefined, { baseMs: 100, maxMs: 250, random: () => 0.5 })).toBe(50);
    expect(backoffDelay(3, undefined, { baseMs: 100, maxMs: 250, random: () => 0.5 })).toBe(125);
  });

  it('retry 0 (or below) is treated as the first retry', () => {
    expect(backoffDelay(0, undefined, { random: () => 0.5 })).toBe(250);
  });

  it('spreads a wave of retries (different draws give different delays)', () => {
    const draws = [0.1, 0.4, 0.7];
    let i = 0;
    const delays = draws.map(() => backoffDelay(3, undefined, { random: () => draws[i++]! }));
    expect(new Set(delays).size).toBe(3);
  });
});

describe('backoffDelay with retry-after', () => {
  it.each([0, 10, 1000, 2000, 45_000])('retry-after %i ms is a floor whatever the draw', (retryAfter) => {
    for (const r of [0, 0.5, 0.999]) {
      for (const retry of [1, 4, 10]) {
        expect(backoffDelay(retry, retryAfter, { random: () => r })).toBeGreaterThanOrEqual(retryAfter);
      }
    }
  });

  it('random() = 0 gives exactly the server wait', () => {
    expect(backoffDelay(1, 2000, { random: () => 0 })).toBe(2000);
  });

  it('adds a little jitter on top: 20 % of the wait plus 50 ms, at most 1 s', () => {
    expect(backoffDelay(1, 2000, { random: () => 0.999 })).toBeCloseTo(2000 + 0.999 * 450, 6);
    // The backoff's own draw first (0 here), then the jitter's.
    const draws = [0, 0.999];
    expect(backoffDelay(1, 10, { random: () => draws.shift()! })).toBeCloseTo(10 + 0.999 * 52, 6);
    expect(backoffDelay(1, 60_000, { random: () => 0.999 })).toBeCloseTo(60_000 + 999, 6);
  });

  it('is a floor under the backoff, not in its place: retry-after 0 (or a date past) backs off as without it', () => {
    // In its place, a 429 spell answered with `retry-after: 0` spent every attempt in half a second.
    for (const retry of [1, 3, 6]) {
      for (const r of [0.3, 0.999]) {
        expect(backoffDelay(retry, 0, { random: () => r })).toBe(backoffDelay(retry, undefined, { random: () => r }));
      }
    }
    expect(backoffDelay(3, 10, { random: () => 0.5 })).toBe(1000);
  });

  it('a retry-after longer than the backoff cap is still honoured in full', () => {
    expect(backoffDelay(1, 90_000, { random: () => 0 })).toBe(90_000);
    expect(backoffDelay(1, 120_000, { random: () => 0 })).toBe(120_000);
  });

  it.each([120_001, 3_600_000, 86_400_000])(
    'a retry-after of %i ms (past 2 minutes: an hourly or daily limit) is no floor: backoff as without it',
    (retryAfter) => {
      for (const retry of [1, 3]) {
        expect(backoffDelay(retry, retryAfter, { random: () => 0.5 })).toBe(backoffDelay(retry, undefined, { random: () => 0.5 }));
      }
    },
  );
});

describe('retriesFor', () => {
  it('a refused connection (nothing sent) has at least the default retries, --retries 0 too; any other failure has --retries', () => {
    expect(retriesFor('connection', 'ECONNREFUSED', 0)).toBe(DEFAULT_RETRIES);
    expect(retriesFor('connection', 'ECONNREFUSED', 5)).toBe(5);
    expect(retriesFor('connection', 'ECONNRESET', 0)).toBe(0);
    expect(retriesFor('timeout', undefined, 0)).toBe(0);
    expect(retriesFor('http', 'ECONNREFUSED', 1)).toBe(1);
  });
});
