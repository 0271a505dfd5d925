import { describe, expect, it } from 'vitest';
import {
  contradictsRequestHeaders,
  perMinuteRequestHeaders,
  statedRequestLimit,
  statedRetryAfter,
  statedTokenLimit,
  withStatedLimits,
} from '../../src/schedule/stated-limits.js';

const TOO_LARGE =
  'HTTP 429: Request too large for gpt-4o-mini in organization org-1 on tokens per min (TPM): Limit 90000, Requested 100511. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.';

const RPM =
  'HTTP 429: Rate limit reached for gpt-4o-mini in organization org-1 on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.';

describe('statedTokenLimit', () => {
  it.each([
    ["OpenAI's Request too large", TOO_LARGE, { perMinute: 90_000, requested: 100_511, tooLarge: true }],
    [
      "OpenAI's tokens a minute used up",
      'HTTP 429: Rate limit reached for gpt-4o-mini in organization org-1 on tokens per min (TPM): Limit 30000, Used 29500, Requested 900. Please try again in 800ms.',
      { perMinute: 30_000, requested: 900, tooLarge: false },
    ],
    [
      "Groq's, per minute",
      'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5877, Requested 1310. Please try again in 11.87s.',
      { perMinute: 6000, requested: 1310, tooLarge: false },
    ],
  ])('%s: the limit a minute and the count', (_, message, stated) => {
    expect(statedTokenLimit(message)).toEqual(stated);
  });

  it.each([
    ['a limit of requests', RPM],
    ['a limit per day', 'HTTP 429: Rate limit reached for gpt-4o-mini on tokens per day (TPD): Limit 2000000, Used 1999800, Requested 500.'],
    ['no words for one', 'HTTP 429: Rate limit reached for requests. Please try again in 200ms.'],
    ['a limit of 0', 'HTTP 429: on tokens per min (TPM): Limit 0, Requested 5.'],
  ])('%s: none', (_, message) => {
    expect(statedTokenLimit(message)).toBeUndefined();
  });
});

describe('statedRequestLimit', () => {
  it.each([
    ["OpenAI's", RPM, 500],
    [
      "Groq's, per minute",
      'Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01` on requests per minute (RPM): Limit 30, Used 30, Requested 1.',
      30,
    ],
    ['a limit of tokens', TOO_LARGE, undefined],
    ['a limit per day', 'HTTP 429: Rate limit reached for gpt-4o-mini on requests per day (RPD): Limit 10000, Used 10000, Requested 1.', undefined],
    ['a limit of 0', 'HTTP 429: on requests per min (RPM): Limit 0, Requested 1.', undefined],
  ])('%s', (_, message, perMinute) => {
    expect(statedRequestLimit(message)).toBe(perMinute);
  });
});

describe('withStatedLimits', () => {
  it('adds the stated limit to headers that announce none, and leaves an announced one', () => {
    expect(withStatedLimits(undefined, TOO_LARGE)).toEqual({ limitTokens: 90_000 });
    expect(withStatedLimits({ remainingRequests: 3 }, TOO_LARGE)).toEqual({ remainingRequests: 3, limitTokens: 90_000 });
    expect(withStatedLimits({ limitTokens: 80_000 }, TOO_LARGE)).toEqual({ limitTokens: 80_000 });
    expect(withStatedLimits({ remainingRequests: 3 }, 'HTTP 429: slow down')).toEqual({ remainingRequests: 3 });
  });

  it('the requests a minute too: stated, and never over an announced limit', () => {
    expect(withStatedLimits(undefined, RPM)).toEqual({ limitRequests: 500 });
    expect(withStatedLimits({ limitTokens: 80_000 }, RPM)).toEqual({ limitTokens: 80_000, limitRequests: 500 });
    expect(withStatedLimits({ limitRequests: 450 }, RPM)).toEqual({ limitRequests: 450 });
    expect(contradictsRequestHeaders({ limitRequests: 450 }, RPM)).toBe(false);
  });

  it("a header that announces more requests than the minute's stated limit counts another window (Groq's: a day)", () => {
    const groq =
      'HTTP 429: Rate limit reached for model `llama-3.1-8b-instant` in organization `org_1` service tier `on_demand` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s.';
    const headers = { limitRequests: 14_400, remainingRequests: 14_350, resetRequestsMs: 6000, limitTokens: 6000, remainingTokens: 5000 };
    expect(contradictsRequestHeaders(headers, groq)).toBe(true);
    expect(withStatedLimits(headers, groq)).toEqual({ limitRequests: 30, limitTokens: 6000, remainingTokens: 5000 });
    expect(perMinuteRequestHeaders(headers)).toEqual({ limitTokens: 6000, remainingTokens: 5000 });
    expect(contradictsRequestHeaders({ limitTokens: 6000 }, groq)).toBe(false);
  });
});

describe("a 429's stated wait (a gateway stripped retry-after)", () => {
  it.each([
    ['Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in 57.311s.', 57_311],
    ['Rate limit reached … on tokens per day (TPD): Limit 500000, Used 499000. Please try again in 1h0m0s.', 3_600_000],
    ['Please try again in 6m0s', 360_000],
    ['please TRY AGAIN IN 20ms', 20],
  ])('%s', (message, ms) => {
    expect(statedRetryAfter(message)).toEqual({ ms, precise: false, from: 'its message' });
  });

  it('none where none is stated, or not as a duration', () => {
    expect(statedRetryAfter('HTTP 429: Too Many Requests')).toBeUndefined();
    expect(statedRetryAfter('try again in a minute')).toBeUndefined();
    expect(statedRetryAfter('try again in 5 seconds')).toBeUndefined();
  });
});
