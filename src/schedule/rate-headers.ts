import type { HeaderSource } from '../types.js';

export type { HeaderSource };

/** What OpenAI-style `x-ratelimit-*` headers say; absent fields were not sent. */
export interface RateLimitHeaders {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsMs?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
}

/** Parses OpenAI durations such as `1s`, `250ms`, `6m0s`, `1h2m3.5s`, or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let matched = '';
  for (const m of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  return matched.length === trimmed.length && matched.length > 0 ? total : undefined;
}

function num(headers: HeaderSource, name: string): number | undefined {
  const v = headers.get(name);
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function dur(headers: HeaderSource, name: string): number | undefined {
  const v = headers.get(name);
  return v === null ? undefined : parseDuration(v);
}

export function readRateLimitHeaders(headers: HeaderSource): RateLimitHeaders {
  return {
    limitRequests: num(headers, 'x-ratelimit-limit-requests'),
    remainingRequests: num(headers, 'x-ratelimit-remaining-requests'),
    resetRequestsMs: dur(headers, 'x-ratelimit-reset-requests'),
    limitTokens: num(headers, 'x-ratelimit-limit-tokens'),
    remainingTokens: num(headers, 'x-ratelimit-remaining-tokens'),
    resetTokensMs: dur(headers, 'x-ratelimit-reset-tokens'),
  };
}

/**
 * `retry-after-ms` (precise, OpenAI) wins over `retry-after` (seconds or an HTTP date).
 * `precise` tells whether the figure is exact enough to pause the whole queue on.
 */
export interface RetryAfter {
  ms: number;
  /** From `retry-after-ms` (exact), not a whole-second `retry-after`. */
  precise: boolean;
}

export function readRetryAfter(headers: HeaderSource, nowEpochMs = Date.now()): RetryAfter | undefined {
  const ms = num(headers, 'retry-after-ms');
  if (ms !== undefined && ms >= 0) return { ms, precise: true };
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return { ms: Number(raw) * 1000, precise: false };
  // Only an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`); V8's Date.parse reads junk like '-1' as a date.
  if (!/^[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}\s+GMT$/.test(raw)) return undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : { ms: Math.max(0, date - nowEpochMs), precise: false };
}
