import { isTransientHttp } from '../errors.js';
import type { ErrorType } from '../types.js';
import { pastLongestWait } from './longest-wait.js';

/**
 * The one retry policy (README "Retries"): retried are 429 rate limits, 408, 409, 5xx, Groq's 498
 * (its flex tier at capacity: its docs say to retry with backoff), connection failures (reset,
 * refused, a stream cut before it finished), timeouts and unparsable bodies.
 * Not retried: other 4xx (the row fails at once), a prompt the server says is past the model's
 * context (whatever its status), bad input, and the run-stopping 401/403 and `insufficient_quota`
 * or 402. (A 403 for one model or one flagged input is that row's: see classifyError.)
 */
export function isRetryable(type: ErrorType, status?: number, code?: string): boolean {
  switch (type) {
    case 'rate_limit':
    case 'timeout':
    case 'connection':
    case 'bad_response':
      return true;
    case 'http':
      return isTransientHttp(status, code);
    default:
      return false;
  }
}

/** Retries of a failed attempt unless --retries says. */
export const DEFAULT_RETRIES = 3;

/**
 * The retries a record has for a failure of this kind: `retries` (--retries), and at least the
 * default for a refused connection, which sent nothing, so trying it again pays nothing twice,
 * --retries 0 too: a server's restart of a second then fails no prompt, and one that stays away is
 * stopped by the circuit breaker once a second of refusals, a retry among them, has passed.
 */
export function retriesFor(type: ErrorType, code: string | undefined, retries: number): number {
  return type === 'connection' && code === 'ECONNREFUSED' ? Math.max(retries, DEFAULT_RETRIES) : retries;
}

export interface BackoffOptions {
  /** @default 500 */
  baseMs?: number;
  /** @default 30000 */
  maxMs?: number;
  random?: () => number;
}

/**
 * Delay before retry number `retry` (1 = first retry): exponential backoff with full jitter, capped,
 * so a wave of failures does not come back as a wave. A server's `retry-after` is a floor; a little
 * jitter on top keeps the refused requests from returning in the same instant. One past
 * LONGEST_WAIT_MS is no floor (a 503 `Retry-After: 3600` would hold each retry an hour, the run for
 * hours): backoff as without it. (A 429 asking that long stops the run before it gets here.)
 */
export function backoffDelay(retry: number, retryAfterMs: number | undefined, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  const jittered = random() * ceiling;
  if (retryAfterMs === undefined || pastLongestWait(retryAfterMs)) return jittered;
  // A floor under the backoff, not in its place: `retry-after: 0` (or a date already past, from a
  // server whose clock is behind) retried at once, every attempt of a 429 spell spent in half a second.
  return Math.max(jittered, retryAfterMs + random() * Math.min(1000, 50 + retryAfterMs * 0.2));
}
