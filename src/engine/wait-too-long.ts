import { AttemptError } from '../provider/completion.js';
import { LONGEST_WAIT_MS, pastLongestWait } from '../schedule/longest-wait.js';
import type { RateLimitHeaders, RetryAfter } from '../schedule/rate-headers.js';

/**
 * A limit per day in a 429's words: OpenAI's and Groq's "on requests per day (RPD)", "on tokens per
 * day (TPD)"; OpenRouter's free models' "Rate limit exceeded: free-models-per-day".
 */
const PER_DAY = /\bper day \((RPD|TPD)\)|\b(free-models-per-day)\b/i;

/**
 * A 429 that is a stop, not a wait; undefined for any other. Such a 429 is an hourly or daily
 * limit used up: every prompt would meet it, so it stops as an exhausted quota does (exit 3,
 * `--resume` once the limit resets), the line quoting the server and saying why.
 * - Its `retry-after`/`retry-after-ms` asks for more than LONGEST_WAIT_MS (Groq's tokens per day:
 *   `retry-after: 3600`, "Please try again in 1h0m0s"): each retry waited the whole of it, so a
 *   run sat for hours saying nothing.
 * - It names a limit per day (RPD, TPD), however short its wait: OpenAI's "try again in 8.64s"
 *   at 10,000 requests a day is the pace the day refills at, one request every 8.64 s, and a run
 *   crawled at it (10,000 rows in 24 hours), its rows failing after four attempts.
 */
export function waitTooLong(error: AttemptError, retryAfter: RetryAfter | undefined): AttemptError | undefined {
  if (error.type !== 'rate_limit') return undefined;
  if (retryAfter !== undefined && pastLongestWait(retryAfter.ms)) {
    const header = retryAfter.from ?? (retryAfter.precise ? 'retry-after-ms' : 'retry-after');
    return quotaStop(
      error,
      `the server asks to wait ${waitText(retryAfter.ms)} (${header}), more than the ${LONGEST_WAIT_MS / 60_000} minutes a run waits for a rate limit`,
    );
  }
  const named = PER_DAY.exec(error.message);
  if (named === null) return undefined;
  const perDay = named[1]?.toUpperCase() ?? named[2]!.toLowerCase();
  return quotaStop(error, `a limit per day (${perDay}) is used up, and a run does not wait for it to refill`);
}

/** A 429 as a stop (exit 3, `--resume` later): the server's words, then why the run does not wait. */
function quotaStop(error: AttemptError, why: string): AttemptError {
  return new AttemptError('rate_limit', `${error.message.replace(/[.\s]+$/, '')}; ${why}`, { ...error.info, stop: 'quota' });
}

/**
 * A 429's `x-ratelimit-reset-*` where its `remaining-*` is 0, as the wait it asks for: a reset of
 * hours stops the run as such a `retry-after` does (each retry used one of the four attempts, and
 * every row failed within seconds).
 */
export function usedUpUntil(headers: RateLimitHeaders | undefined): RetryAfter | undefined {
  if (headers?.remainingRequests === 0 && headers.resetRequestsMs !== undefined)
    return { ms: headers.resetRequestsMs, precise: false, from: 'x-ratelimit-reset-requests' };
  if (headers?.remainingTokens === 0 && headers.resetTokensMs !== undefined)
    return { ms: headers.resetTokensMs, precise: false, from: 'x-ratelimit-reset-tokens' };
  return undefined;
}

/** `5 minutes`, `60 minutes`, `1.5 hours`, `24 hours`. */
function waitText(ms: number): string {
  // To the second under 90 minutes: 3m20s asked read "4 minutes" (rounded up to the minute).
  const seconds = Math.ceil(ms / 1000);
  if (seconds >= 90 * 60) return `${+(ms / 3_600_000).toFixed(1)} hours`;
  const [minutes, rest] = [Math.floor(seconds / 60), seconds % 60];
  return rest === 0 ? `${minutes} minutes` : `${minutes} min ${rest} s`;
}

/** 429s in a row, none answered between, that may stop a run once they span LONGEST_WAIT_MS. */
const REFUSED_IN_A_ROW = 10;

/**
 * The 429s since the last answer: a limit that does not refill at a pace a run can use (every
 * request refused, each wait short enough on its own) stops the run. Each 429 paused the whole run,
 * so its prompts went out one after another, each refused four times: a review's 1,000 prompts would
 * have taken about 3 hours at `retry-after: 6`, 14 at 20. Requests sent before the streak began and
 * still out may yet be answered (a long answer while the server refuses the rest for capacity):
 * until they are all back, the streak stops nothing.
 */
export class RefusalStreak {
  private since: number | undefined;
  private count = 0;
  private sentBefore = 0;

  /** An answer came: the streak is over. */
  answered(): void {
    this.since = undefined;
    this.count = 0;
  }

  /** An attempt sent at `sentAt` ended without an answer. */
  ended(sentAt: number): void {
    if (this.since !== undefined && sentAt < this.since) this.sentBefore--;
  }

  /** A 429 at `now`, with `othersOut` more requests out: the stop, once the streak is one. */
  refused(error: AttemptError, now: number, othersOut: number): AttemptError | undefined {
    if (this.since === undefined) {
      this.since = now;
      this.sentBefore = othersOut;
    }
    this.count++;
    const sinceMs = now - this.since;
    if (this.count < REFUSED_IN_A_ROW || this.sentBefore > 0 || !pastLongestWait(sinceMs)) return undefined;
    return quotaStop(
      error,
      `${this.count} requests in a row were refused with 429 over ${Math.round(sinceMs / 60_000)} minutes and none was answered: the limit does not refill at a pace a run can use`,
    );
  }
}
