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
      'HTTP 429: Please try again in 1h0m0s; the server asks to wait 5 min 1 s (retry-after-ms), more than the 2 minutes a run waits for a rate limit',
    ],
    [
      // To the second: 3m20s read "4 minutes".
      { ms: 199_955, precise: true },
      'HTTP 429: Please try again in 1h0m0s; the server asks to wait 3 min 20 s (retry-after-ms), more than the 2 minutes a run waits for a rate limit',
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
    [
      'requests per day (RPD)',
      'HTTP 429: Rate limit reached for gpt-4o-mini in organization org-1 on requests per day (RPD): Limit 10000, Used 10000, Requested 1. Please try again in 8.64s. Visit https://platform.openai.com/account/rate-limits to learn more.',
      'RPD',
    ],
    [
      'tokens per day (TPD)',
      'HTTP 429: Rate limit reached for gpt-4o-mini in organization org-1 on tokens per day (TPD): Limit 2000000, Used 1999800, Requested 500. Please try again in 12.96s.',
      'TPD',
    ],
    [
      "OpenRouter's free models a day",
      'HTTP 429: Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
      'free-models-per-day',
    ],
  ])('a 429 naming a limit of %s stops the run as a quota does, however short its wait', (_, said, limit) => {
    const error = new AttemptError('rate_limit', said, { status: 429, code: 'rate_limit_exceeded' });
    const stop = waitTooLong(error, { ms: 8640, precise: true });
    expect(stop?.message).toBe(`${said.replace(/\.$/, '')}; a limit per day (${limit}) is used up, and a run does not wait for it to refill`);
    expect(stop?.info).toMatchObject({ stop: 'quota', status: 429, code: 'rate_limit_exceeded' });
  });

  it.each([
    ['a wait of 2 minutes or less', limited(), { ms: 120_000, precise: false }],
    [
      'a limit per minute',
      new AttemptError('rate_limit', 'HTTP 429: Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 500, Used 500, Requested 1.', {
        status: 429,
      }),
      { ms: 120, precise: true },
    ],
    ['no retry-after', limited(), undefined],
    ['a 503 asking for an hour (backoff ignores it)', new AttemptError('http', 'HTTP 503', { status: 503 }), { ms: 3_600_000, precise: false }],
  ])('%s: no stop', (_, error, retryAfter) => {
    expect(waitTooLong(error, retryAfter)).toBeUndefined();
  });
});
