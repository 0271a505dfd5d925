import { describe, expect, it } from 'vitest';
import { waitTooLong } from '../../src/engine/wait-too-long.js';
import { AttemptError } from '../../src/provider/completion.js';

const limited = () => new AttemptError('rate_limit', 'HTTP 429: Please try again in 1h0m0s.', { status: 429, code: 'rate_limit_exceeded' });

describe('waitTooLong', () => {
  it.each([
    [
      { ms: 3_600_000, precise: false },
      'HTTP 429: Please try again in 1h0m0s; the server asks to wait 60 minutes (retry-after), more than the 2 minutes a run waits for a rate limit',
    ],
    [
      { ms: 300_001, precise: true },
      'HTTP 429: Please try again in 1h0m0s; the server asks to wait 6 minutes (retry-after-ms), more than the 2 minutes a run waits for a rate limit',
    ],
    [
      { ms: 86_400_000, precise: false },
      'HTTP 429: Please try again in 1h0m0s; the server asks to wait 24 hours (retry-after), more than the 2 minutes a run waits for a rate limit',
    ],
  ])('a 429 asking for %o stops the run as a quota does, saying how long', (retryAfter, message) => {
    const stop = waitTooLong(limited(), retryAfter);
    expect(stop?.message).toBe(message);
    expect(stop?.info).toMatchObject({ stop: 'quota', status: 429, code: 'rate_limit_exceeded' });
  });

  it.each([
    ['a wait of 2 minutes or less', limited(), { ms: 120_000, precise: false }],
    ['no retry-after', limited(), undefined],
    ['a 503 asking for an hour (backoff ignores it)', new AttemptError('http', 'HTTP 503', { status: 503 }), { ms: 3_600_000, precise: false }],
  ])('%s: no stop', (_, error, retryAfter) => {
    expect(waitTooLong(error, retryAfter)).toBeUndefined();
  });
});
