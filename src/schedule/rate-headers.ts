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

/** A bare number of seconds (`12`, `0.5`). */
const SECONDS = /^\d+(\.\d+)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** One `<number><unit>` part, where the last one ended (sticky). */
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/**
 * Parses OpenAI durations such as `1s`, `250ms`, `6m0s`, `1h2m3.5s`, or a bare number of seconds.
 * Part by part from the start, with nothing between or after them. Every response from OpenAI
 * carries two: no iterator or table per call (issue 16).
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  return SECONDS.test(trimmed) ? Number(trimmed) * 1000 : durationParts(trimmed);
}

/** The `<number><unit>` parts of trimmed text that is not a bare number, in ms. */
function durationParts(trimmed: string): number | undefined {
  if (trimmed === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < trimmed.length) {
    const part = DURATION_PART.exec(trimmed);
    if (part === null) return undefined;
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return total;
}

/**
 * A header a proxy repeated (joined as `3, 3`) as its one value, when every copy says the same; else
 * as it came (an HTTP date has a comma of its own, and copies that differ are no advice).
 */
function once(value: string | null): string | null {
  const parts = value?.split(',').map((part) => part.trim());
  return parts && parts.length > 1 && parts.every((part) => part === parts[0]) ? parts[0]! : value;
}

function num(headers: HeaderSource, name: string): number | undefined {
  return numberIn(headers.get(name));
}

function numberIn(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A bare number at least this large is a time, not a wait: 1e9 s is 2001-09-09 as Unix seconds. */
const EPOCH_SECONDS_FROM = 1e9;
/** …and at least this large, a time in Unix milliseconds (1e12 ms is 2001-09-09 too). */
const EPOCH_MS_FROM = 1e12;

/**
 * An `x-ratelimit-reset-*` value as ms from now, in the forms servers send: OpenAI's durations
 * (`1s`, `6m0s`, `20ms`), a bare number of seconds (`12`, `0.5`), a Unix time in seconds or
 * milliseconds (`1764640000`, a time that has passed being 0), or an ISO 8601 time
 * (`2026-12-02T01:40:00Z`). Undefined for anything else.
 */
export function parseReset(text: string, nowEpochMs = Date.now()): number | undefined {
  const trimmed = text.trim();
  if (SECONDS.test(trimmed)) {
    const n = Number(trimmed);
    if (n >= EPOCH_MS_FROM) return Math.max(0, n - nowEpochMs);
    if (n >= EPOCH_SECONDS_FROM) return Math.max(0, n * 1000 - nowEpochMs);
    return n * 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) {
    const date = Date.parse(trimmed);
    return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
  }
  return durationParts(trimmed);
}

function reset(headers: HeaderSource, name: string, nowEpochMs: number): number | undefined {
  const v = headers.get(name);
  return v === null ? undefined : parseReset(v, nowEpochMs);
}

/** Undefined where the source can tell no `x-ratelimit-*` header came, else {@link readRateLimitHeaders}. */
export function rateLimitHeadersIn(headers: HeaderSource, nowEpochMs?: number): RateLimitHeaders | undefined {
  return headers.hasPrefix?.('x-ratelimit-') === false ? undefined : readRateLimitHeaders(headers, nowEpochMs);
}

export function readRateLimitHeaders(headers: HeaderSource, nowEpochMs = Date.now()): RateLimitHeaders {
  return {
    limitRequests: num(headers, 'x-ratelimit-limit-requests'),
    remainingRequests: num(headers, 'x-ratelimit-remaining-requests'),
    resetRequestsMs: reset(headers, 'x-ratelimit-reset-requests', nowEpochMs),
    limitTokens: num(headers, 'x-ratelimit-limit-tokens'),
    remainingTokens: num(headers, 'x-ratelimit-remaining-tokens'),
    resetTokensMs: reset(headers, 'x-ratelimit-reset-tokens', nowEpochMs),
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
  /** Where the wait was read when not from a `retry-after` header (`its message`, an `x-ratelimit-reset-*`). */
  from?: string;
}

export function readRetryAfter(headers: HeaderSource, nowEpochMs = Date.now()): RetryAfter | undefined {
  const ms = numberIn(once(headers.get('retry-after-ms')));
  if (ms !== undefined && ms >= 0) return { ms, precise: true };
  const raw = once(headers.get('retry-after'))?.trim();
  if (!raw) return undefined;
  if (SECONDS.test(raw)) return { ms: Number(raw) * 1000, precise: false };
  // Only an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`); V8's Date.parse reads junk like '-1' as a date.
  if (!/^[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}\s+GMT$/.test(raw)) return undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : { ms: Math.max(0, date - nowEpochMs), precise: false };
}
